/**
 * The provider-side half of `portcullis check`: are the client credentials
 * right, and what will logout and refresh be able to do with this provider?
 *
 * Credentials are tested the only way a provider lets a confidential client
 * test them without a user: a token request with a deliberately invalid
 * authorization code (`portcullis-check-<random>`), authenticated the way the
 * BFF authenticates. A provider checks the client before the grant, so
 * `invalid_grant` means the credentials passed, while `invalid_client` (wrong
 * secret or method) and `unauthorized_client` mean every login would fail at
 * the callback. No code is ever valid, so nothing is issued.
 *
 * Nothing here prints the secret: the rows name the option and the
 * environment variable that set it, never the value.
 */
import { randomBytes } from 'node:crypto';
import { clientAuthConfig } from '../protocol/client-auth.ts';
import type { ClientKey } from '../protocol/client-key.ts';
import type { EndSessionStyle } from '../protocol/profiles.ts';
import { postToProvider } from '../protocol/token-endpoint.ts';
import { networkReason } from './health.ts';

/** What the credential check needs of the resolved BFF options. */
export interface ClientCheckInput {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  clientAuthentication: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The key of `private_key_jwt`. */
  clientKey?: ClientKey | undefined;
  /** Sender-constrained tokens and PAR as resolved (absent: off). */
  dpop?: string | undefined;
  par?: boolean | 'auto';
  /** The redirect URI the BFF sends (`{baseUrl}{path}/callback`). */
  redirectUri: string;
  scope: string;
  /** `idTokenHint` as resolved (the profile decided `'auto'`); absent = false. */
  logout: { revokeTokens: boolean; idTokenHint?: boolean };
  /** The `provider` profile's name and end-session style; absent = generic. */
  provider?: string;
  profile?: { logout: { style: EndSessionStyle; logoutHint: boolean } };
}

/** Rows for the check's summary, and whether the credentials passed. */
export interface ClientCheckReport {
  /** False when the provider refused the credentials (or could not be asked). */
  ok: boolean;
  rows: Array<[label: string, text: string]>;
  warnings: string[];
}

/** The credential option to check, with the variables that set it. */
const credentialOption = (method: ClientCheckInput['clientAuthentication']): string =>
  method === 'private_key_jwt'
    ? '"clientPrivateKey" (PORTCULLIS_CLIENT_PRIVATE_KEY or PORTCULLIS_CLIENT_PRIVATE_KEY_FILE; its public key registered at the provider)'
    : '"clientSecret" (PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE)';

/** Runs the credential check and reads what the discovery document advertises. */
export async function checkClient(input: ClientCheckInput, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<ClientCheckReport> {
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const discoveryUrl = `${input.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let metadata: Record<string, unknown>;
  try {
    const response = await fetchImpl(discoveryUrl, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    metadata = (await response.json()) as Record<string, unknown>;
  } catch (err) {
    // The provider row already says why; the credentials could not be tried.
    return { ok: false, rows: [['client', `not checked: the discovery document failed (${networkReason(err)})`]], warnings: [] };
  }
  const rows: ClientCheckReport['rows'] = [];
  const warnings: string[] = [];
  const credentials = await tryCredentials(input, metadata, fetchImpl, timeoutMs);
  rows.push(['client', credentials.text]);

  const methods = stringList(metadata['token_endpoint_auth_methods_supported']);
  if (methods && !methods.includes(input.clientAuthentication)) {
    warnings.push(
      `the provider does not list ${input.clientAuthentication} in token_endpoint_auth_methods_supported (${methods.join(', ')}): set "clientAuthentication" (PORTCULLIS_CLIENT_AUTHENTICATION) to the method the client is registered with`,
    );
  }

  const security = securityRows(input, metadata);
  rows.push(['security', security.text]);
  warnings.push(...security.warnings);

  const revocation = typeof metadata['revocation_endpoint'] === 'string' ? metadata['revocation_endpoint'] : undefined;
  if (revocation)
    rows.push([
      'revocation',
      `${revocation}: ${input.logout.revokeTokens ? 'logout revokes the refresh token' : 'advertised; logout.revokeTokens is off, refresh tokens stay valid until they expire'}`,
    ]);
  else rows.push(['revocation', 'not advertised: logout cannot revoke tokens at the provider; a refresh token stays valid until it expires']);

  rows.push(...logoutRows(input, metadata));

  const offline = offlineAccess(input.scope, stringList(metadata['scopes_supported']), input.provider);
  rows.push(['refresh', offline.text]);
  if (offline.warning) warnings.push(offline.warning);
  return { ok: credentials.ok, rows, warnings };
}

/**
 * What logout will do with this provider: where the browser goes (end-session endpoint,
 * Cognito's /logout, or nowhere), with which hints, and whether the provider can end sessions
 * here by itself (back-channel, front-channel logout, from discovery).
 */
export function logoutRows(input: ClientCheckInput, metadata: Record<string, unknown>): ClientCheckReport['rows'] {
  const rows: ClientCheckReport['rows'] = [];
  const style = input.profile?.logout.style ?? 'oidc';
  const profile = input.provider && input.provider !== 'generic' ? ` (provider "${input.provider}")` : '';
  const endSession = typeof metadata['end_session_endpoint'] === 'string' ? metadata['end_session_endpoint'] : undefined;
  const authorize = typeof metadata['authorization_endpoint'] === 'string' ? metadata['authorization_endpoint'] : undefined;
  const localOnly = 'logout ends the session here only; the user stays signed in at the provider, and the next login may not ask for a password';
  if (style === 'none') rows.push(['endSession', `none${profile}: ${localOnly} (the logout response says so: Portcullis-Logout: local)`]);
  else if (style === 'cognito') {
    rows.push([
      'endSession',
      authorize
        ? `${new URL('/logout', authorize).href}${profile}: logout also ends the session at the provider (client_id, logout_uri, state; register baseUrl + returnTo as a sign-out URL)`
        : `no authorization_endpoint${profile}: ${localOnly}`,
    ]);
  } else if (endSession) {
    const hints = [input.logout.idTokenHint ? 'id_token_hint' : 'no id_token_hint', ...((input.profile?.logout.logoutHint ?? true) ? ['logout_hint'] : [])];
    rows.push(['endSession', `${endSession}: logout also ends the session at the provider (client_id, post_logout_redirect_uri, state, ${hints.join(', ')})${profile}`]);
  } else rows.push(['endSession', `not advertised: ${localOnly}`]);
  const base = input.redirectUri.replace(/\/callback$/, '');
  const back = metadata['backchannel_logout_supported'] === true;
  const front = metadata['frontchannel_logout_supported'] === true;
  rows.push([
    'backchannel',
    back
      ? `supported: register ${base}/backchannel-logout (backchannel_logout_session_required) to end sessions here when they end at the provider`
      : 'not advertised: sessions here end at logout here, or with their lifetimes',
  ]);
  rows.push([
    'frontchannel',
    front ? `supported: register ${base}/frontchannel-logout (frontchannel_logout_session_required)${back ? '; back-channel is preferred when both work' : ''}` : 'not advertised',
  ]);
  return rows;
}

/** The answer to one token request: the OAuth error code (if any) and the text to show. */
interface TokenAnswer {
  error: string | undefined;
  said: string;
  status: number;
}

/**
 * The token request with an invalid code, and what its answer says about the credentials.
 *
 * With client_secret_basic the credentials are form-urlencoded before Basic
 * (RFC 6749 §2.3.1), as the login's code exchange sends them: the check
 * tests whether logins will work.
 */
async function tryCredentials(input: ClientCheckInput, metadata: Record<string, unknown>, fetchImpl: typeof fetch, timeoutMs: number): Promise<{ ok: boolean; text: string }> {
  const endpoint = metadata['token_endpoint'];
  if (typeof endpoint !== 'string') return { ok: false, text: 'FAILED: the discovery document has no token_endpoint: logins cannot complete' };
  const method = input.clientAuthentication;
  const where = `${input.clientId} at ${endpoint} (${method})`;
  const attempt = async (): Promise<TokenAnswer> => {
    const form = { grant_type: 'authorization_code', code: `portcullis-check-${randomBytes(16).toString('base64url')}`, redirect_uri: input.redirectUri };
    // The request the BFF's code exchange sends (its client authentication), with the check's fetch and timeout.
    const { status, json } = await postToProvider({ url: endpoint, form, auth: clientAuthConfig(input), fetch: fetchImpl, timeoutMs });
    const error = typeof json['error'] === 'string' ? json['error'] : undefined;
    const said = error ? `${error}${typeof json['error_description'] === 'string' ? `: ${json['error_description'].slice(0, 200)}` : ''}` : `HTTP ${status}`;
    return { error, said, status };
  };
  let answer: TokenAnswer;
  try {
    answer = await attempt();
  } catch (err) {
    return { ok: false, text: `${where}: FAILED: token endpoint unreachable (${networkReason(err)})` };
  }
  const { error, said } = answer;
  if (error === 'invalid_grant') return { ok: true, text: `${where}: OK (credentials accepted; a deliberately invalid code got invalid_grant)` };
  if (error === 'invalid_client') {
    return {
      ok: false,
      text: `${where}: FAILED: the provider refused the client's credentials (${said}): check ${credentialOption(method)} and "clientId", and that "clientAuthentication" (${method}) is the method the client is registered with (PORTCULLIS_CLIENT_AUTHENTICATION)`,
    };
  }
  if (error === 'unauthorized_client' || (error === 'invalid_request' && /grant/i.test(said)) || error === 'unsupported_grant_type') {
    return {
      ok: false,
      text: `${where}: FAILED: the provider does not let this client complete logins (${said}): register the client for the authorization_code grant (and refresh_token), and check "clientAuthentication" (${method}) and ${credentialOption(method)}`,
    };
  }
  if (answer.status >= 500 || !error) return { ok: false, text: `${where}: FAILED: the token endpoint answered ${said}` };
  return { ok: false, text: `${where}: FAILED: unexpected answer to a token request (${said}): check ${credentialOption(method)} and "clientAuthentication" (${method})` };
}

/** What PAR and DPoP will do with this provider, and what the provider does not offer. */
function securityRows(input: ClientCheckInput, metadata: Record<string, unknown>): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const parEndpoint = typeof metadata['pushed_authorization_request_endpoint'] === 'string';
  const parRequired = metadata['require_pushed_authorization_requests'] === true;
  const par = input.par === true || (input.par === 'auto' && parRequired);
  if (par && !parEndpoint) warnings.push('"par" is on but the provider advertises no pushed_authorization_request_endpoint: logins will fail');
  if (!par && parRequired) warnings.push('the provider requires pushed authorization requests: set "par" (PORTCULLIS_PAR) to true or auto');
  const algs = stringList(metadata['dpop_signing_alg_values_supported']);
  if (input.dpop && !algs) warnings.push('"dpop" is on but the provider advertises no dpop_signing_alg_values_supported: it may not bind tokens (they are then sent as bearer tokens)');
  else if (input.dpop && !algs!.includes(input.dpop))
    warnings.push(`the provider does not list ${input.dpop} in dpop_signing_alg_values_supported (${algs!.join(', ')}): set "dpop": { "alg": … } (PORTCULLIS_DPOP) to one it lists`);
  const text = `${par ? 'pushed authorization requests' : "authorization requests in the browser's URL"}; ${input.dpop ? `DPoP-bound tokens (${input.dpop} proofs)` : 'bearer tokens'}`;
  return { text, warnings };
}

/** Whether sessions can outlive one access token: `offline_access` in the scope and at the provider. */
function offlineAccess(scope: string, supported: string[] | undefined, provider?: string): { text: string; warning?: string } {
  const short = 'sessions will last only as long as one access token when the provider issues no refresh token';
  const requested = scope.split(' ').includes('offline_access');
  if (!requested && (provider === 'keycloak' || provider === 'cognito'))
    return { text: `offline_access is not in "scope": the ${provider} profile relies on the provider issuing refresh tokens without it` };
  if (!requested && provider === 'google') return { text: 'offline_access is not in "scope": the google profile asks for refresh tokens with access_type=offline and prompt=consent' };
  if (!requested) {
    return {
      text: `offline_access is not in "scope": ${short} (some providers, e.g. Keycloak and Cognito, issue one anyway)`,
      warning: `"scope" has no offline_access: ${short}; add it (PORTCULLIS_SCOPE) unless your provider issues refresh tokens without it`,
    };
  }
  if (!supported) return { text: 'offline_access requested; the provider does not publish scopes_supported, so whether it issues refresh tokens is unknown' };
  if (supported.includes('offline_access')) return { text: "offline_access requested and in the provider's scopes_supported: sessions renew their access tokens" };
  return {
    text: `offline_access requested but not in the provider's scopes_supported: ${short}`,
    warning: `the provider does not advertise offline_access: if it issues no refresh token, ${short} (Google wants access_type=offline and prompt=consent in "authorizationParams")`,
  };
}

const stringList = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined);
