/**
 * `DEMO_EXTRA_CLIENT`: one more client registered at the demo provider, from
 * the environment, so another application (a second SPA, a CLI, a test
 * harness) can sign in against the running demo without code changes.
 *
 *   DEMO_EXTRA_CLIENT='{"client_id":"my-app","client_secret":"…",
 *     "redirect_uris":["http://localhost:5000/callback"],
 *     "post_logout_redirect_uris":["http://localhost:5000/"],
 *     "grant_types":["authorization_code","refresh_token"]}'
 *
 * `grant_types` defaults to `["authorization_code", "refresh_token"]`; the
 * client authenticates with client_secret_basic, like the demo's own, or,
 * given `"jwks": {"keys": [<public JWK>]}` instead of `client_secret`, with
 * private_key_jwt (the only method with DEMO_SECURITY_PROFILE=fapi2). A bad
 * value stops the provider with an error that names DEMO_EXTRA_CLIENT.
 */
import type { JWK } from 'jose';
import type { DemoClientConfig } from './client-metadata.ts';

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const KNOWN = ['client_id', 'client_secret', 'jwks', 'redirect_uris', 'post_logout_redirect_uris', 'grant_types'];

function fail(problem: string): never {
  throw new Error(`DEMO_EXTRA_CLIENT ${problem}`);
}

function uris(value: unknown, member: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(`"${member}" must be an array of URLs`);
  for (const uri of value as string[]) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      fail(`"${member}" contains "${uri}", which is not an absolute URL`);
    }
    if (url.hash) fail(`"${member}" contains "${uri}": redirect URIs must not have a fragment`);
  }
  return value as string[];
}

function publicKeys(value: unknown): { keys: JWK[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && typeof (k as JWK).kty === 'string')) {
    fail('"jwks" must be {"keys": [<public JWK>, ...]}');
  }
  if (keys.some((k) => 'd' in k || 'k' in k)) fail('"jwks" must hold public keys only (no "d" or "k")');
  return { keys: keys as JWK[] };
}

/**
 * Reads `DEMO_EXTRA_CLIENT` from `env`.
 * @returns The client, or `undefined` when the variable is unset or empty.
 * @throws Error naming DEMO_EXTRA_CLIENT and what is wrong.
 */
export function extraClientFromEnv(env: Readonly<Record<string, string | undefined>>): DemoClientConfig | undefined {
  const raw = env['DEMO_EXTRA_CLIENT'];
  if (raw === undefined || raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    fail('must be JSON: {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris"?: [...], "grant_types"?: [...]}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('must be a JSON object');
  const o = value as Record<string, unknown>;
  const unknown = Object.keys(o).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) fail(`has unknown member "${unknown[0]}" (known: ${KNOWN.join(', ')})`);
  if (typeof o['client_id'] !== 'string' || o['client_id'] === '') fail('needs "client_id", a non-empty string');
  const jwks = o['jwks'] === undefined ? undefined : publicKeys(o['jwks']);
  if (jwks && o['client_secret'] !== undefined) fail('has both "client_secret" and "jwks": give one of them');
  if (!jwks && (typeof o['client_secret'] !== 'string' || o['client_secret'].length < 16)) {
    fail('needs "client_secret", a string of at least 16 characters (or "jwks" for private_key_jwt)');
  }
  const grantTypes = (o['grant_types'] ?? ['authorization_code', 'refresh_token']) as unknown;
  if (!Array.isArray(grantTypes) || grantTypes.length === 0 || !grantTypes.every((g) => (GRANT_TYPES as readonly unknown[]).includes(g))) {
    fail(`"grant_types" must be a non-empty array of ${GRANT_TYPES.map((g) => `"${g}"`).join(', ')}`);
  }
  const redirectUris = uris(o['redirect_uris'] ?? [], 'redirect_uris');
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    fail('needs "redirect_uris" (at least one) for the authorization_code grant');
  }
  return {
    clientId: o['client_id'],
    ...(jwks ? { jwks, tokenEndpointAuthMethod: 'private_key_jwt' as const } : { clientSecret: o['client_secret'] as string }),
    redirectUris,
    postLogoutRedirectUris: uris(o['post_logout_redirect_uris'] ?? [], 'post_logout_redirect_uris'),
    grantTypes: grantTypes as DemoClientConfig['grantTypes'],
  };
}

/**
 * `clients` plus the one from `DEMO_EXTRA_CLIENT`, if any.
 * @throws Error naming DEMO_EXTRA_CLIENT when it is malformed or reuses a demo client_id.
 */
export function withExtraClient(clients: DemoClientConfig[], env: Readonly<Record<string, string | undefined>>): DemoClientConfig[] {
  const extra = extraClientFromEnv(env);
  if (extra === undefined) return clients;
  if (clients.some((c) => c.clientId === extra.clientId)) {
    fail(`has client_id "${extra.clientId}", which the demo already uses: pick another one`);
  }
  return [...clients, extra];
}
