/**
 * The session record and its lifetime rules, in one place for both paths
 * that read sessions (koa-session for the BFF endpoints, the lean reader for
 * proxied calls and `requireSession`):
 *
 * - `_expire` (unix ms) is the idle deadline, `_maxAge` the idle timeout it
 *   was set with: koa-session's own fields, kept so that both paths agree;
 * - a session also ends at its absolute deadline ({@link sessionDeadline});
 * - the idle deadline is renewed once less than half of the idle timeout is
 *   left (koa-session's `renew`), not on every request;
 * - `v` is the version every write compares (see SessionRepository).
 */
import type { SessionRecord } from './store.ts';
import { sessionDeadline } from './lifetime.ts';
import type { UserSession } from './user-session.ts';

/** A session record as the BFF writes it. */
export interface SessionRecordShape {
  auth?: UserSession;
  /** Version compared by every write. */
  v?: string;
  /** Idle deadline, unix milliseconds. */
  _expire?: number;
  /** Idle timeout the deadline was set with, milliseconds. */
  _maxAge?: number;
}

/** The typed view of a stored record. */
export const shapeOf = (record: SessionRecord): SessionRecordShape => record as SessionRecordShape;

/** The idle deadline (unix ms) of a record or of a koa-session object loaded from one, if set. */
export function idleDeadline(record: object | undefined): number | undefined {
  const expire = (record as SessionRecordShape | undefined)?._expire;
  return typeof expire === 'number' ? expire : undefined;
}

/** Whether `record` is a signed-in session that has reached neither its idle nor its absolute deadline. */
export function isLive(record: SessionRecord | undefined, absoluteTimeoutSeconds: number, now = Date.now()): record is SessionRecord & { auth: UserSession } {
  const auth = record ? shapeOf(record).auth : undefined;
  if (!record || !auth) return false;
  const idle = idleDeadline(record);
  return (idle === undefined || idle >= now) && sessionDeadline(auth, absoluteTimeoutSeconds) > now;
}

/** Whether the idle deadline is due for renewal: less than half of the idle timeout left. */
export function renewalDue(record: SessionRecord, idleMs: number, now = Date.now()): boolean {
  const idle = idleDeadline(record);
  return idle === undefined || idle - now < idleMs / 2;
}

/** `record` with its idle deadline pushed a full idle timeout from now. */
export function renewed(record: SessionRecord, idleMs: number, now = Date.now()): SessionRecord {
  return { ...record, _expire: now + idleMs, _maxAge: idleMs };
}

/** How long the store should keep `record`: until its idle deadline, plus slack for requests in flight. */
export function storeTtl(record: SessionRecord, now = Date.now()): number {
  return Math.max((idleDeadline(record) ?? now + 60_000) - now + 10_000, 1000);
}

/** When the session was last renewed (≈ last seen, to within half the idle timeout), unix ms. */
export function lastRenewal(record: SessionRecord): number | undefined {
  const { _expire: expire, _maxAge: maxAge } = shapeOf(record);
  return typeof expire === 'number' && typeof maxAge === 'number' ? expire - maxAge : undefined;
}
