/**
 * Writes an {@link ApiGuardError} as the Koa response (RFC 6750 §3, RFC 9449
 * §7.1) and remembers which guard produced each {@link AuthInfo}, so that the
 * per-route middleware answers with the same realm and scheme.
 *
 * @packageDocumentation
 */

import type { Context } from 'koa';

import type { AuthInfo } from './auth-info.ts';
import { formatChallenge, type AuthScheme } from './challenge.ts';
import { MissingToken, type ApiGuardError } from './errors.ts';

/** What a guard's challenges depend on. @internal */
export interface ChallengeSettings {
  readonly realm: string | undefined;
  /** Set when the guard accepts DPoP (RFC 9449). */
  readonly dpop: { readonly algorithms: readonly string[]; readonly required: boolean } | undefined;
}

/** A guard's settings plus the scheme the request used. @internal */
export interface GuardContext extends ChallengeSettings {
  readonly scheme: AuthScheme | undefined;
}

/** Per verified caller, the settings the per-route middleware need from its guard. */
const guards = new WeakMap<AuthInfo, GuardContext>();

/** @internal */
export function registerAuth(auth: AuthInfo, guard: GuardContext): void {
  guards.set(auth, guard);
}

/** @internal The guard context of an {@link AuthInfo} made by requireAccessToken, else undefined. */
export function guardOf(auth: unknown): GuardContext | undefined {
  return typeof auth === 'object' && auth !== null ? guards.get(auth as AuthInfo) : undefined;
}

/**
 * The `WWW-Authenticate` value: one challenge per accepted scheme (RFC 9449
 * §7.2 shows `Bearer, DPoP algs="…"`). The error's parameters go on the scheme
 * the request used (or the first accepted one); the other scheme is listed
 * bare so the client learns it is accepted.
 * @internal
 */
export function wwwAuthenticate(err: ApiGuardError, guard: GuardContext): string | undefined {
  const params = err.challengeParams();
  if (params === undefined) return undefined;
  const { dpop, realm } = guard;
  const accepted: AuthScheme[] = dpop === undefined ? ['Bearer'] : dpop.required ? ['DPoP'] : ['Bearer', 'DPoP'];
  const primary = guard.scheme !== undefined && accepted.includes(guard.scheme) ? guard.scheme : accepted[0]!;
  const bare = err instanceof MissingToken;
  return accepted
    .map((scheme) =>
      formatChallenge(scheme, {
        realm,
        ...(scheme === primary && !bare ? params : {}),
        algs: scheme === 'DPoP' ? dpop!.algorithms.join(' ') : undefined,
      }),
    )
    .join(', ');
}

/**
 * Status, `WWW-Authenticate`, `Cache-Control: no-store`, the error's own
 * headers (`DPoP-Nonce`) and the JSON body `{ error, error_description }`.
 * @internal
 */
export function respondWithError(ctx: Context, err: ApiGuardError, guard: GuardContext): void {
  ctx.status = err.status;
  ctx.set('Cache-Control', 'no-store');
  const challenge = wwwAuthenticate(err, guard);
  if (challenge !== undefined) ctx.set('WWW-Authenticate', challenge);
  for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
  ctx.body = err.toJSON();
  if (err.status === 503) {
    // Operators must hear about an unreachable authorization server: report
    // it like Koa reports errors (the message names the issuer, never a token).
    ctx.app.emit('error', err, ctx);
  }
}
