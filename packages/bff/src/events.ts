/**
 * What happens inside the BFF, for metrics: an observer the application (or
 * `portcullis serve`, with prom-client) passes as the `events` option. Each
 * callback is optional, called synchronously, and must not throw; none of
 * them ever receives a token, a code, a cookie value or a user identifier.
 */

/** Observer of BFF events (option `events`). */
export interface BffEvents {
  /** A login finished at the callback: `ok`, or `failed` with the error code answered. */
  login?(event: { outcome: 'ok' | 'failed'; reason?: string }): void;
  /** A refresh grant finished. `provider_unreachable` includes 5xx and timeouts. */
  refresh?(event: { outcome: 'ok' | 'invalid_grant' | 'provider_unreachable' | 'failed' }): void;
  /** Sessions ended by the user (`rp`) or by the provider (`backchannel`, `frontchannel`). */
  logout?(event: { kind: 'rp' | 'backchannel' | 'frontchannel'; sessions: number }): void;
  /** A proxied call answered (status of the response sent to the browser). */
  proxied?(event: { route: string; status: number; seconds: number }): void;
  /** A proxied call failed upstream. */
  upstreamFailure?(event: { route: string; kind: 'unreachable' | 'timeout' | 'body_too_large' }): void;
}

/** Calls `emit` and swallows what an observer throws: metrics must never fail a request. */
export function notify(emit: () => void): void {
  try {
    emit();
  } catch {
    // an observer's own bug
  }
}
