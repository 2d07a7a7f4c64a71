import { ANONYMOUS, type AuthState } from './state.js';
import type { BffSession, FetchLike } from './types.js';

/** An error answered by the BFF (`{ error, error_description }`) or an unusable answer. */
export class BffError extends Error {
  /** HTTP status of the answer. */
  declare readonly status: number;
  /** The BFF's `error` code, e.g. `"csrf"` or `"invalid_response"`. */
  declare readonly code: string;
  /**
   * @param status - HTTP status of the answer.
   * @param code - The BFF's `error` code, e.g. `"csrf"` or `"invalid_response"`.
   * @param description - The BFF's `error_description`, used as the message.
   */
  constructor(status: number, code: string, description?: string) {
    super(description || code);
    Object.assign(this, { name: 'BffError', status, code });
  }
}

/**
 * A BFF call answered 401 `step_up_required` (RFC 9470): the session is kept, but this call
 * needs a stronger or more recent login. Call `login({ acrValues, maxAge })` and retry once back.
 */
export class StepUpRequired extends BffError {
  /** `acr_values` the API asks for, e.g. `urn:portcullis:mfa`. */
  declare readonly acrValues?: string;
  /** `max_age` the API asks for: seconds since the last authentication. */
  declare readonly maxAge?: number;
  /** @param body - The JSON body of the 401 answer. */
  constructor(body: StepUpBody) {
    super(401, body.error, body.error_description);
    Object.assign(this, { name: 'StepUpRequired', acrValues: body.acr_values, maxAge: body.max_age });
  }
}

/** The JSON body of a 401 `step_up_required` answer (RFC 9470). */
export interface StepUpBody {
  error: 'step_up_required';
  error_description?: string;
  acr_values?: string;
  max_age?: number;
}

/**
 * Internal: {@link bffFetch} with an explicit fetch implementation (global `fetch` when undefined).
 * Rejects with {@link StepUpRequired} on a 401 `step_up_required`.
 */
export async function callBff(impl: FetchLike | undefined, input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  // Same precedence as fetch(): init.headers replace a Request's own headers.
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set('X-CSRF', '1');
  const f = impl ?? fetch; // called unbound: window.fetch throws when `this` is another object
  const res = await f(input, { ...init, headers, credentials: 'include' });
  if (res.status === 401) {
    const b = (await res
      .clone()
      .json()
      .catch(() => null)) as StepUpBody | null;
    if (b?.error === 'step_up_required') throw new StepUpRequired(b);
  }
  return res;
}

/**
 * `fetch` for BFF routes outside React components: sends cookies (`credentials: 'include'`)
 * and the `X-CSRF: 1` header, keeping the caller's headers. Rejects with {@link StepUpRequired}
 * on a 401 `step_up_required`; returns any other answer as is. Does not touch any provider;
 * inside components prefer {@link useBffFetch}, which also reacts to a 401.
 */
export const bffFetch: FetchLike = (input, init) => callBff(undefined, input, init);

/**
 * Internal: the JSON body of a BFF answer (`null` when it has none, as a 204), or a
 * {@link BffError} from its `{ error, error_description }` when the status is not 2xx.
 */
export async function readBody(res: Response): Promise<unknown> {
  const body = (await res.json().catch(() => null)) as { error?: string; error_description?: string } | null;
  if (!res.ok) throw new BffError(res.status, body?.error || 'http_' + res.status, body?.error_description);
  return body;
}

/** Internal: `GET {bffPath}/user` turned into the provider's next state. Never rejects. */
export async function fetchSession(bffPath: string, impl?: FetchLike): Promise<AuthState> {
  try {
    const res = await callBff(impl, bffPath + '/user');
    // callBff read a 401 body through a clone: the connection is not left half-read.
    if (res.status === 401) return ANONYMOUS;
    const body = (await readBody(res)) as Partial<BffSession> | null;
    // logoutUrl is navigated to: accept a same-origin path only.
    if (typeof body?.sub != 'string' || !/^\/(?![/\\])/.test(String(body.logoutUrl))) {
      throw new BffError(res.status, 'invalid_response');
    }
    return { status: 'authenticated', session: body as BffSession };
  } catch (e) {
    return { status: 'error', error: e as Error };
  }
}
