/**
 * A request's id, as a server in front of the BFF (`portcullis serve`) assigns
 * it, kept on the request itself: the BFF's fast path runs outside any logging
 * context, so its lines about a request carry the id explicitly.
 */
import type { IncomingMessage } from 'node:http';

const REQUEST_ID = Symbol('portcullis.requestId');
type Tagged = IncomingMessage & { [REQUEST_ID]?: string };

/** The id assigned to `req` by {@link setRequestId}, if any. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return (req as Tagged)[REQUEST_ID];
}

/** Assigns `id` to `req` (a server's request-id step, before the BFF sees the request). */
export function setRequestId(req: IncomingMessage, id: string): void {
  (req as Tagged)[REQUEST_ID] = id;
}
