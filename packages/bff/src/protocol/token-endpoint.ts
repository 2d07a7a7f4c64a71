/**
 * Form POSTs to the provider's token, PAR and revocation endpoints, done by
 * the BFF itself (oidc-client-ts cannot sign DPoP proofs or client
 * assertions server-side): client authentication on every request, a DPoP
 * proof when a key is given, and one retry when the server asks for a DPoP
 * nonce (RFC 9449 §8). The answer's nonce is remembered for the next call.
 */
import { ErrorResponse } from 'oidc-client-ts';
import { TemporarilyUnavailable } from '../errors.ts';
import { authenticateClient, type ClientAuthConfig } from './client-auth.ts';
import type { DpopPrivateJwk } from './dpop-key.ts';
import type { DpopNonces } from './dpop-nonces.ts';
import { createDpopProof } from './dpop-proof.ts';

/** How long the provider gets to answer (oidc-client-ts's setting before, kept). */
const TIMEOUT_MS = 10_000;

/** One POST to a provider endpoint. */
export interface ProviderPost {
  url: string;
  form: Record<string, string | undefined>;
  auth: ClientAuthConfig;
  /** Sign a DPoP proof with this key (token and PAR requests of a DPoP client). */
  dpop?: { key: DpopPrivateJwk; nonces: DpopNonces };
  /** Milliseconds the provider gets to answer. Default 10 000. */
  timeoutMs?: number;
  /** The fetch to use (`portcullis check` takes one). Default the global fetch. */
  fetch?: typeof fetch;
}

/** A provider's JSON answer: status and body (`{}` when it was not JSON). */
export interface ProviderAnswer {
  status: number;
  json: Record<string, unknown>;
}

/**
 * Sends the request; network failures reject as they are (the caller maps them to 503). OAuth
 * errors are returned, not thrown: see {@link checkAnswer}.
 */
export async function postToProvider(request: ProviderPost): Promise<ProviderAnswer> {
  let answer = await send(request);
  if (request.dpop && answer.json['error'] === 'use_dpop_nonce') answer = await send(request);
  return answer;
}

/**
 * The JSON body of a successful answer. An OAuth error becomes oidc-client-ts's `ErrorResponse`
 * (what the callback and the token manager tell apart: `invalid_grant` ends a session), anything
 * else from a provider that is not answering properly a `TemporarilyUnavailable` (the session stays).
 */
export function checkAnswer(answer: ProviderAnswer, what: string): Record<string, unknown> {
  const { status, json } = answer;
  if (status >= 200 && status < 300) return json;
  if (typeof json['error'] === 'string') {
    throw new ErrorResponse({ error: json['error'], error_description: typeof json['error_description'] === 'string' ? json['error_description'] : null });
  }
  throw new TemporarilyUnavailable(`The identity provider's ${what} answered HTTP ${status}.`);
}

async function send({ url, form, auth, dpop, timeoutMs = TIMEOUT_MS, fetch: fetchImpl = fetch }: ProviderPost): Promise<ProviderAnswer> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value !== undefined) body.set(name, value);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  // A fresh assertion (own jti) and a fresh proof for each attempt: both are single use.
  await authenticateClient(auth, body, headers);
  if (dpop) headers['dpop'] = createDpopProof(dpop.key, { htm: 'POST', htu: url, nonce: dpop.nonces.get(url) });
  const response = await fetchImpl(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  dpop?.nonces.remember(url, response.headers.get('dpop-nonce'));
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (an HTML error page, say): the status decides.
  }
  return { status: response.status, json };
}
