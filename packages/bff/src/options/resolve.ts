/**
 * Validation that runs once at start-up: the schema, then the rules across
 * options, then the defaults of the provider profile and the derived values.
 * A wrong option throws a {@link BffOptionsError} naming it.
 */
import type { z } from 'zod';
import type { BffLogger } from '../logger.ts';
import { resolveProfile, type ProviderProfile } from '../protocol/profiles.ts';
import type { SessionStore } from '../session/store.ts';
import { schema } from './schema.ts';
import { resolveSecurity, type SecuritySettings } from './security.ts';
import { BffOptionsError, type ApiRoute, type BffOptions } from './types.ts';

type Parsed = z.output<typeof schema>;

/** Options after validation, with defaults applied and derived values computed. */
export interface ResolvedOptions
  extends
    Omit<Parsed, 'session' | 'apis' | 'logger' | 'scope' | 'clientAuthentication' | 'clientPrivateKey' | 'logout' | 'userinfo' | 'dpop' | 'par' | 'profile' | 'idTokenAlgorithms'>,
    SecuritySettings {
  /** The provider profile's defaults, for what is not an option of its own (end-session style). */
  profile: ProviderProfile;
  /** `'fapi2'` when the FAPI 2.0 Security Profile is on. */
  securityProfile: 'fapi2' | undefined;
  scope: string;
  /** Logout with the profile applied: `idTokenHint` and `revokeTokens` decided. */
  logout: { idTokenHint: boolean; revokeTokens: boolean; frontchannel: boolean };
  /** Whether login merges the userinfo claims (`'auto'` decided by the profile). */
  userinfo: boolean;
  session: Omit<Parsed['session'], 'store'> & {
    store: SessionStore | undefined;
    /** The cookie name as sent, prefix included. */
    cookie: string;
    /** Whether cookies are `Secure` (false only for plain-http localhost). */
    secure: boolean;
  };
  apis: Array<
    Required<Pick<ApiRoute, 'path' | 'target' | 'token' | 'timeout' | 'maxBodySize' | 'ws'>> &
      Pick<ApiRoute, 'scope' | 'resource' | 'acr' | 'maxAge'> & { responseHeaders: { remove: string[]; keep: string[] } }
  >;
  logger: BffLogger | undefined;
  /** `baseUrl` without a trailing slash. */
  origin: string;
  /** The exact redirect URI registered at the provider: `{baseUrl}{path}/callback`. */
  redirectUri: string;
}

function optionPath(issuePath: ReadonlyArray<PropertyKey>): string {
  return issuePath.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

/** Validates `createBff` options once, applies defaults, and derives cookie and URL settings. */
export function resolveOptions(input: BffOptions): ResolvedOptions {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = optionPath(issue.path) || '(options)';
    const message = issue.code === 'unrecognized_keys' ? `has unknown keys ${issue.keys.map((k) => `"${k}"`).join(', ')}: check their spelling` : issue.message;
    throw new BffOptionsError(issue.code === 'unrecognized_keys' && !issue.path.length ? '(options)' : path, message);
  }
  const o = result.data;
  const base = new URL(o.baseUrl);
  const secure = base.protocol === 'https:';
  const seen = new Set<string>();
  for (const [i, api] of o.apis.entries()) {
    if (api.path === o.path || api.path.startsWith(`${o.path}/`)) throw new BffOptionsError(`apis[${i}].path`, `must not be under the BFF path "${o.path}"`);
    for (const other of seen) {
      if (api.path === other || api.path.startsWith(`${other}/`) || other.startsWith(`${api.path}/`))
        throw new BffOptionsError(`apis[${i}].path`, `overlaps "${other}": each path prefix must be unique`);
    }
    seen.add(api.path);
  }
  if (new Set(o.session.keys).size !== o.session.keys.length) throw new BffOptionsError('session.keys', 'must not repeat a key');
  if (o.session.absoluteTimeout < o.session.idleTimeout) throw new BffOptionsError('session.absoluteTimeout', 'must be at least session.idleTimeout');
  const origin = base.origin;
  // The provider profile's default client authentication; the security settings decide the rest.
  const { clientAuthentication: profileDefault, ...profiled } = resolveProfile({ ...o, clientAuthentication: undefined });
  const security = resolveSecurity({ ...o, clientAuthentication: o.clientAuthentication, profileDefault, idTokenAlgorithmsGiven: input.idTokenAlgorithms !== undefined });
  const { clientPrivateKey: _key, dpop: _dpop, par: _par, profile: securityProfile, ...plain } = o;
  return {
    ...plain,
    ...profiled,
    ...security,
    securityProfile,
    logout: { ...profiled.logout, frontchannel: o.logout.frontchannel },
    session: { ...o.session, store: o.session.store, cookie: secure ? `__Host-${o.session.cookieName}` : o.session.cookieName, secure },
    logger: o.logger,
    origin,
    redirectUri: `${origin}${o.path}/callback`,
  };
}
