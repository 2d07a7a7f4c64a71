/**
 * The demo OpenID provider of one BFF target, in a process of its own
 * (targets/provider.ts), with one confidential client registered for the
 * BFF at `baseUrl` (the demo stack's registration).
 */
import { randomBytes } from 'node:crypto';
import { startTarget } from './child.ts';

/** A running provider and the client it knows. */
export interface BenchProvider {
  issuer: string;
  client: { id: string; secret: string };
  stop(): Promise<void>;
}

export async function startBenchProvider(options: { upstream: string; baseUrl: string; clientId: string; clientName: string }): Promise<BenchProvider> {
  const client = { id: options.clientId, secret: randomBytes(24).toString('base64url') };
  const clients = [
    {
      clientId: client.id,
      clientSecret: client.secret,
      clientName: options.clientName,
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      redirectUris: [`${options.baseUrl}/bff/callback`],
      postLogoutRedirectUris: [`${options.baseUrl}/`],
    },
  ];
  const target = await startTarget('provider', 'provider.ts', { env: { BENCH_UPSTREAM: options.upstream, BENCH_PROVIDER_CLIENTS: JSON.stringify(clients) } });
  return { issuer: target.url, client, stop: () => target.stop() };
}
