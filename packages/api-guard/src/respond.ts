/**
 * Writes an {@link ApiGuardError} as the Koa response (RFC 6750 §3) and
 * remembers which guard produced each {@link AuthInfo}.
 *
 * @packageDocumentation
 */

import type { Context } from 'koa';

import type { AuthInfo } from './auth-info.ts';
import type { ApiGuardError } from './errors.ts';

/** Per verified caller, the settings {@link requireScope} needs from its guard. */
const guards = new WeakMap<AuthInfo, { realm: string | undefined }>();

/** @internal */
export function registerAuth(auth: AuthInfo, realm: string | undefined): void {
  guards.set(auth, { realm });
}

/** @internal The guard settings of an {@link AuthInfo} made by requireAccessToken, else undefined. */
export function guardOf(auth: unknown): { realm: string | undefined } | undefined {
  return typeof auth === 'object' && auth !== null ? guards.get(auth as AuthInfo) : undefined;
}

/**
 * Status, `WWW-Authenticate`, `Cache-Control: no-store` and the JSON body
 * `{ error, error_description }`.
 * @internal
 */
export function respondWithError(ctx: Context, err: ApiGuardError, realm: string | undefined): void {
  ctx.status = err.status;
  ctx.set('Cache-Control', 'no-store');
  const challenge = err.wwwAuthenticate(realm);
  if (challenge !== undefined) ctx.set('WWW-Authenticate', challenge);
  ctx.body = err.toJSON();
  if (err.status === 503) {
    // Operators must hear about an unreachable authorization server: report
    // it like Koa reports errors (the message names the issuer, never a token).
    ctx.app.emit('error', err, ctx);
  }
}
