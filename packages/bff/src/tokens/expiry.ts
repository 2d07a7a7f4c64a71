/**
 * When a token is due for renewal: `skew` seconds before it expires, but
 * never earlier than half its lifetime, so a token that lives shorter than
 * twice the skew is not renewed on every single use.
 */

/** Whether a token expiring at `expiresAt` (received at `issuedAt`, unix seconds) is due under `skew` seconds. */
export function expiresWithin(expiresAt: number, issuedAt: number | undefined, skew: number): boolean {
  const lifetime = issuedAt === undefined ? Infinity : Math.max(0, expiresAt - issuedAt);
  return expiresAt - Math.min(skew, lifetime / 2) <= Math.floor(Date.now() / 1000);
}
