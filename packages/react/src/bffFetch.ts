import type { AuthAction } from './reducer.js';
import type { BffSession, FetchLike } from './types.js';

/** An error answered by the BFF (`{ error, error_description }`) or an unusable answer. */
export class BffError extends Error {
  /**
   * @param status - HTTP status of the answer.
   * @param code - The BFF's `error` code, e.g. `"csrf"` or `"invalid_response"`.
   * @param description - The BFF's `error_description`, used as the message.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    description?: string,
  ) {
    super(description || code);
    this.name = 'BffError';
  }
}

/** Internal: {@link bffFetch} with an explicit fetch implementation (global `fetch` when undefined). */
export function callBff(impl: FetchLike | undefined, input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  // Same precedence as fetch(): init.headers replace a Request's own headers.
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('X-CSRF', '1');
  const f = impl ?? fetch; // called unbound: window.fetch throws when `this` is another object
  return f(input, { ...init, headers, credentials: 'include' });
}

/**
 * `fetch` for BFF routes outside React components: sends cookies (`credentials: 'include'`)
 * and the `X-CSRF: 1` header, keeping the caller's headers. Does not touch any provider;
 * inside components prefer {@link useBffFetch}, which also reacts to a 401.
 */
export const bffFetch: FetchLike = (input, init) => callBff(undefined, input, init);

type UserBody = Partial<BffSession> & { error?: string; error_description?: string };

/** Internal: `GET {bffPath}/user` turned into a reducer action. Never rejects. */
export async function fetchSession(bffPath: string, impl?: FetchLike): Promise<AuthAction> {
  try {
    const res = await callBff(impl, bffPath + '/user');
    if (res.status === 401) {
      // Release the unread body so the connection is not left half-read.
      void res.body?.cancel().catch(() => {});
      return { type: 'anonymous' };
    }
    const body = (await res.json().catch(() => null)) as UserBody | null;
    if (!res.ok) throw new BffError(res.status, body?.error || 'http_' + res.status, body?.error_description);
    // logoutUrl is navigated to: accept a same-origin path only.
    if (typeof body?.sub != 'string' || !/^\/(?![/\\])/.test(String(body.logoutUrl))) {
      throw new BffError(res.status, 'invalid_response');
    }
    return { type: 'session', session: body as BffSession };
  } catch (e) {
    return { type: 'error', error: e instanceof Error ? e : new Error(String(e)) };
  }
}
