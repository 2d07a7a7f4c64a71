/**
 * When a signed-in session must end, whatever the activity: its absolute
 * lifetime, and never after its refresh token (draft-ietf-oauth-browser-
 * based-apps §6.1). Without a refresh token, the access token's expiry is
 * the end: nothing could renew it.
 */
import type { UserSession } from './user-session.ts';

/** The session's hard deadline, unix milliseconds. */
export function sessionDeadline(auth: UserSession, absoluteTimeoutSeconds: number): number {
  let deadline = auth.createdAt + absoluteTimeoutSeconds * 1000;
  const { refreshToken, refreshExpiresAt, expiresAt } = auth.tokens;
  if (!refreshToken) deadline = Math.min(deadline, expiresAt * 1000);
  else if (refreshExpiresAt) deadline = Math.min(deadline, refreshExpiresAt * 1000);
  return deadline;
}
