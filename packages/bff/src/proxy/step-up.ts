/**
 * Step-up authentication (RFC 9470) on proxied routes. A route may require
 * `acr` values or a recent `auth_time` (`apis[].acr`, `apis[].maxAge`): the
 * BFF checks the session before proxying. An API may also ask by itself,
 * answering 401 with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"`. Either way the SPA gets 401
 * `{ "error": "step_up_required", "acr_values", "max_age" }`, the session
 * is kept, and a new login with those parameters satisfies it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { StepUpRequired } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { UserSession } from '../session/user-session.ts';

type Route = ResolvedOptions['apis'][number];

/** Throws `StepUpRequired` when the session does not meet the route's `acr` / `maxAge`. */
export function checkStepUp(route: Route, auth: UserSession): void {
  const acrMissing = route.acr !== undefined && (auth.acr === undefined || !route.acr.includes(auth.acr));
  const tooOld = route.maxAge !== undefined && (auth.authTime === undefined || Math.floor(Date.now() / 1000) - auth.authTime > route.maxAge);
  if (acrMissing || tooOld) {
    throw new StepUpRequired({ ...(acrMissing ? { acrValues: route.acr!.join(' ') } : {}), ...(tooOld ? { maxAge: route.maxAge! } : {}) });
  }
}

/** The RFC 9470 challenge of an upstream 401, or `undefined` when it is not one. */
export function stepUpChallenge(headers: IncomingHttpHeaders): { acrValues?: string; maxAge?: number } | undefined {
  const header = headers['www-authenticate'];
  const challenge = [header ?? []].flat().find((c) => /^\s*(bearer|dpop)\s/i.test(c) && /error\s*=\s*"?insufficient_user_authentication"?/i.test(c));
  if (!challenge) return undefined;
  const param = (name: string): string | undefined =>
    new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^\\s,]+))`, 'i')
      .exec(challenge)
      ?.slice(1)
      .find((v) => v !== undefined);
  const acrValues = param('acr_values');
  const maxAge = param('max_age');
  return {
    ...(acrValues && /^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(acrValues) ? { acrValues } : {}),
    ...(maxAge && /^\d{1,10}$/.test(maxAge) ? { maxAge: Number(maxAge) } : {}),
  };
}
