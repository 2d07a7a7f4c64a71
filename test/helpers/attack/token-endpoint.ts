/**
 * A man in the middle between the BFF and the provider's token endpoint, to
 * inject forged ID tokens and token responses while discovery, the issuer and
 * the JWKS stay the real ones.
 */

/** What the token endpoint was asked and answered, as seen through the interceptor. */
export interface TokenExchange {
  request: URLSearchParams;
  status: number;
  response: Record<string, unknown>;
}

type Rewrite = (body: Record<string, unknown>, request: URLSearchParams) => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * Wraps `globalThis.fetch` (which oidc-client-ts calls for the token
 * endpoint) so that every JSON answer of `tokenEndpoint` passes through
 * `rewrite` before the BFF sees it; every exchange is recorded. The BFF runs
 * in this process (startDemoStack), so this is a man-in-the-middle between
 * the BFF and the real provider without a second server, and the discovery
 * document, the issuer and the JWKS stay the real ones. Call `restore()` in
 * a `finally`.
 */
export function interceptTokenEndpoint(tokenEndpoint: string, rewrite: Rewrite = (body) => body): { exchanges: TokenExchange[]; restore(): void } {
  const original = globalThis.fetch;
  const exchanges: TokenExchange[] = [];
  const intercepting: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== tokenEndpoint) return original(input, init);
    const request = new URLSearchParams(typeof init?.body === 'string' || init?.body instanceof URLSearchParams ? String(init.body) : '');
    const response = await original(input, init);
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return new Response(text, { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'text/plain' } });
    }
    const rewritten = response.ok ? await rewrite(body, request) : body;
    exchanges.push({ request, status: response.status, response: body });
    return new Response(JSON.stringify(rewritten), { status: response.status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
  };
  globalThis.fetch = intercepting;
  return {
    exchanges,
    restore() {
      if (globalThis.fetch === intercepting) globalThis.fetch = original;
    },
  };
}

/** The provider's discovery document (where the tests read `token_endpoint` to intercept). */
export async function discovery(issuer: string): Promise<Record<string, string>> {
  return (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
}
