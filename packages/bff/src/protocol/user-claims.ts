/**
 * What the SPA sees of the ID token's claims (`/bff/user`). Protocol claims
 * describe the token, not the user; session claims (`sid`, Keycloak's
 * `session_state`) identify the provider session, which an injected script
 * must not learn. Both are hidden unless the `user.claims` option asks.
 */
import type { ResolvedOptions } from '../options.ts';

/** Claims hidden from `/bff/user` by default. */
export const HIDDEN_CLAIMS: readonly string[] = [
  // about the token itself
  'iss',
  'aud',
  'azp',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'uti',
  'rh',
  // about the provider session
  'sid',
  'session_state',
  'auth_time',
];

/** The claims shown for `claims` (all the verified ID token's claims) under the `user.claims` option. */
export function shownClaims(claims: Readonly<Record<string, unknown>>, option: ResolvedOptions['user']['claims']): Record<string, unknown> {
  if (typeof option === 'function') return { ...option(claims) };
  if (Array.isArray(option)) return Object.fromEntries(option.filter((name) => name in claims).map((name) => [name, claims[name]]));
  const shown = { ...claims };
  for (const name of HIDDEN_CLAIMS) delete shown[name];
  return shown;
}
