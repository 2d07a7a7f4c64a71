/**
 * A demo backend job: machine-to-machine access to the todo API.
 *
 * The job has its own client at the provider (`demo-job`, client_credentials
 * only). It gets an access token for itself (no user involved) with
 * `resource` = the API's audience, then calls the API's `/whoami`, which
 * answers `kind: 'client'`: the API knows a machine is calling. The todo
 * routes refuse such tokens (todos belong to users).
 *
 * Run it while the demo runs (`npm run demo`):
 *
 *   pnpm --filter @portcullis/demo job
 *   # or: pnpm --filter @portcullis/demo exec tsx job.ts
 *
 * Environment (all optional), the same variables as `npm run demo` reads, so
 * a job started beside a demo on other ports finds it:
 *   DEMO_PROVIDER_PORT the provider's port (default 4000)
 *   DEMO_API_PORT      the todo API's port (default 4001)
 *   DEMO_HOST          the host name in both URLs (default localhost)
 *   DEMO_PROVIDER_URL  the provider's issuer, instead of host and port
 *   DEMO_API_URL       the todo API, instead of host and port
 *   DEMO_API_AUDIENCE  the API's resource indicator (default: the API's URL)
 *   DEMO_JOB_SECRET    the job's client secret (default: a fixed dev value,
 *                      see DEMO_JOB_CLIENT); the provider must be started with
 *                      the same value
 *   DEMO_SECURITY_PROFILE  `fapi2` when the demo runs in FAPI 2.0 mode: the
 *                      job then authenticates with private_key_jwt (its ES256
 *                      key is derived from DEMO_JOB_SECRET, so provider and job
 *                      agree) and its token is DPoP-bound: it calls the API
 *                      with `Authorization: DPoP` and a proof
 */
import { pathToFileURL } from 'node:url';
import type { JWK } from 'jose';
import type { DemoClientConfig, DemoSecurityProfile } from './provider/create-provider.ts';
import { clientAssertion, es256KeyFromSecret, fetchWithDpop, generateDpopKey, type DpopKey } from './provider/fapi2-client.ts';

/**
 * DEV ONLY: the default secret of the demo job's client. It is public (it is
 * in this file), so it protects nothing: set DEMO_JOB_SECRET for anything but
 * a local demo.
 */
const DEV_JOB_SECRET = 'demo-job-dev-secret-do-not-use-in-production';

/**
 * The job's client, for the demo provider's client list. Its secret is
 * DEMO_JOB_SECRET, read when this module loads, so a provider and a job
 * started with the same environment agree.
 */
export const DEMO_JOB_CLIENT: Readonly<DemoClientConfig & { clientSecret: string }> = Object.freeze({
  clientId: 'demo-job',
  clientSecret: process.env['DEMO_JOB_SECRET'] || DEV_JOB_SECRET,
  clientName: 'Portcullis demo job',
  grantTypes: Object.freeze(['client_credentials']) as DemoClientConfig['grantTypes'],
});

/** The job's private_key_jwt key in FAPI 2 mode, derived from its secret (as secret as DEMO_JOB_SECRET). */
export const DEMO_JOB_KEY: Readonly<{ privateJwk: JWK; publicJwk: JWK }> = Object.freeze(es256KeyFromSecret(DEMO_JOB_CLIENT.clientSecret, 'demo-job-1'));

/** The job's client for a provider running `profile` (FAPI 2: private_key_jwt with DEMO_JOB_KEY, no secret). */
export function demoJobClient(profile?: DemoSecurityProfile): Readonly<DemoClientConfig> {
  if (profile !== 'fapi2') return DEMO_JOB_CLIENT;
  const { clientSecret: _secret, ...rest } = DEMO_JOB_CLIENT;
  return Object.freeze({ ...rest, tokenEndpointAuthMethod: 'private_key_jwt' as const, jwks: { keys: [DEMO_JOB_KEY.publicJwk] } });
}

export interface RunJobOptions {
  /** The provider's issuer URL, e.g. http://localhost:4000. */
  providerUrl: string;
  /** The todo API's base URL, e.g. http://localhost:4001. */
  apiUrl: string;
  clientId: string;
  /** client_secret_basic. Give this or `privateKey`. */
  clientSecret?: string;
  /**
   * FAPI 2 mode: the client's private JWK (private_key_jwt). The token is then
   * bound to a fresh DPoP key, and the API called with `Authorization: DPoP`.
   */
  privateKey?: JWK;
  /** The API's resource indicator (the token's `aud`). Default: `apiUrl` without a trailing slash. */
  resource?: string;
  /** Scopes to ask for (space-separated). Default none: /whoami needs none. */
  scope?: string;
  /** Milliseconds per HTTP call. Default 10 000. */
  timeout?: number;
}

/** What the API's /whoami answers. */
export interface WhoAmI {
  sub?: string;
  clientId: string;
  scopes: string[];
  kind: 'user' | 'client';
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** Where the job finds the demo: the URLs, from the environment as `npm run demo` reads it. */
export interface DemoJobTargets {
  providerUrl: string;
  apiUrl: string;
  /** The API's resource indicator (`DEMO_API_AUDIENCE`), when set apart from the API's URL. */
  resource: string | undefined;
}

/**
 * The provider and API URLs of a demo started with the same environment:
 * `http://{DEMO_HOST}:{DEMO_PROVIDER_PORT}` and `…:{DEMO_API_PORT}` (defaults
 * localhost, 4000, 4001, as demo/start.ts), unless DEMO_PROVIDER_URL /
 * DEMO_API_URL give them whole.
 * @throws Error naming the variable when a port is not a port number
 */
export function demoJobTargets(env: NodeJS.ProcessEnv = process.env): DemoJobTargets {
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < 1 || value > 65_535) throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
    return value;
  };
  const host = env['DEMO_HOST'] || 'localhost';
  return {
    providerUrl: trimSlash(env['DEMO_PROVIDER_URL'] || `http://${host}:${port('DEMO_PROVIDER_PORT', 4000)}`),
    apiUrl: trimSlash(env['DEMO_API_URL'] || `http://${host}:${port('DEMO_API_PORT', 4001)}`),
    resource: env['DEMO_API_AUDIENCE'] || undefined,
  };
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  const body: unknown = await response.json().catch(() => undefined);
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

function oauthError(body: Record<string, unknown>, status: number): string {
  const error = typeof body['error'] === 'string' ? body['error'] : `HTTP ${status}`;
  return typeof body['error_description'] === 'string' ? `${error}: ${body['error_description']}` : error;
}

/** Gets a client_credentials token for the job's own client (client_secret_basic, or private_key_jwt + DPoP with `dpop`). */
async function clientCredentialsToken(options: RunJobOptions, resource: string, timeout: number, dpop?: DpopKey): Promise<string> {
  const issuer = trimSlash(options.providerUrl);
  const discoveryUrl = `${issuer}/.well-known/openid-configuration`;
  let metadata: Record<string, unknown>;
  try {
    const response = await fetch(discoveryUrl, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeout) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    metadata = await readJson(response);
  } catch (err) {
    throw new Error(`could not read the provider's metadata at ${discoveryUrl} (${(err as Error).message}): is the provider running?`, { cause: err });
  }
  if (metadata['issuer'] !== issuer) throw new Error(`the provider at ${discoveryUrl} has issuer ${String(metadata['issuer'])}, expected ${issuer}`);
  const tokenEndpoint = metadata['token_endpoint'];
  if (typeof tokenEndpoint !== 'string') throw new Error('the provider advertises no token_endpoint');

  const body = new URLSearchParams({ grant_type: 'client_credentials', resource });
  if (options.scope) body.set('scope', options.scope);
  let response: Response;
  if (dpop && options.privateKey) {
    const privateKey = options.privateKey;
    // A new assertion per attempt: a retry with the provider's DPoP nonce needs a fresh jti.
    const withAssertion = async () => {
      const form = new URLSearchParams(body);
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', await clientAssertion(options.clientId, issuer, privateKey));
      return form;
    };
    response = await fetchWithDpop(dpop, tokenEndpoint, { method: 'POST', headers: { accept: 'application/json' }, body: withAssertion, signal: AbortSignal.timeout(timeout) });
  } else {
    // RFC 6749 §2.3.1: form-urlencode id and secret before base64.
    const credentials = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret ?? '')}`).toString('base64');
    response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(timeout),
    });
  }
  const json = await readJson(response);
  if (!response.ok || typeof json['access_token'] !== 'string') {
    const methods = metadata['token_endpoint_auth_methods_supported'];
    // A demo started with DEMO_SECURITY_PROFILE=fapi2 and a job without it (or the reverse).
    const hint =
      Array.isArray(methods) && !dpop && !methods.some((m) => String(m).startsWith('client_secret'))
        ? ': the provider accepts only private_key_jwt, run the job with DEMO_SECURITY_PROFILE=fapi2 like the demo'
        : '';
    throw new Error(`the provider refused a token to client ${options.clientId} (${oauthError(json, response.status)})${hint}`);
  }
  return json['access_token'];
}

/**
 * Runs the job once: a client_credentials token for its own client, then
 * `GET {apiUrl}/whoami` with it. Resolves with the /whoami body; rejects with
 * a readable message (never containing the secret or the token).
 */
export async function runJob(options: RunJobOptions): Promise<WhoAmI> {
  const timeout = options.timeout ?? 10_000;
  const apiUrl = trimSlash(options.apiUrl);
  const dpop = options.privateKey ? await generateDpopKey() : undefined;
  const token = await clientCredentialsToken(options, options.resource ?? apiUrl, timeout, dpop);
  const init = { headers: { authorization: `${dpop ? 'DPoP' : 'Bearer'} ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeout) };
  const response = dpop ? await fetchWithDpop(dpop, `${apiUrl}/whoami`, init, token) : await fetch(`${apiUrl}/whoami`, init);
  const body = await readJson(response);
  if (!response.ok) throw new Error(`the API answered ${response.status} to /whoami (${oauthError(body, response.status)})`);
  return body as unknown as WhoAmI;
}

async function main(): Promise<void> {
  try {
    const { providerUrl, apiUrl, resource } = demoJobTargets();
    const fapi2 = process.env['DEMO_SECURITY_PROFILE'] === 'fapi2';
    const credentials = fapi2 ? { privateKey: DEMO_JOB_KEY.privateJwk } : { clientSecret: DEMO_JOB_CLIENT.clientSecret };
    const me = await runJob({ providerUrl, apiUrl, clientId: DEMO_JOB_CLIENT.clientId, ...credentials, ...(resource ? { resource } : {}) });
    const scopes = me.scopes.length > 0 ? me.scopes.join(' ') : '(none)';
    if (me.kind !== 'client') {
      console.error(`The API saw kind '${me.kind}' (sub ${me.sub}), expected a machine ('client').`);
      process.exitCode = 1;
      return;
    }
    console.log(`The API saw a machine: kind '${me.kind}', clientId '${me.clientId}', sub '${me.sub}', scopes ${scopes}.`);
  } catch (err) {
    console.error(`The demo job failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
