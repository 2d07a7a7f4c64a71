/**
 * Fetches and caches the authorization server's metadata: OpenID Connect
 * Discovery (`<issuer>/.well-known/openid-configuration`), falling back to
 * RFC 8414 (`/.well-known/oauth-authorization-server` inserted before the
 * issuer's path).
 *
 * @packageDocumentation
 */

import { TemporarilyUnavailable } from './errors.ts';

/** The metadata members this package uses. */
export interface AuthorizationServerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  [member: string]: unknown;
}

/** @internal */
export interface DiscoveryOptions {
  /** Milliseconds per HTTP request. */
  timeout: number;
  /** Milliseconds fresh metadata is reused. Default 10 minutes. */
  maxAge?: number;
  /** Milliseconds before a failed refresh is retried while stale metadata is served. Default 30 s. */
  retryAfter?: number;
}

const LOCALHOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `value` is an https URL, or http on localhost. */
export function isAllowedEndpoint(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOCALHOSTS.has(url.hostname));
  } catch {
    return false;
  }
}

/** The well-known URLs to try, in order. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  return [`${url.origin}${path}/.well-known/openid-configuration`, `${url.origin}/.well-known/oauth-authorization-server${path}`];
}

class NotFound extends Error {}

/**
 * Lazily fetched, cached authorization server metadata. Concurrent callers
 * share one fetch. A failed refresh keeps serving the previous metadata (and
 * retries later); with none yet, it throws {@link TemporarilyUnavailable}.
 * @internal
 */
export class Discovery {
  readonly #issuer: string;
  readonly #timeout: number;
  readonly #maxAge: number;
  readonly #retryAfter: number;
  #metadata: AuthorizationServerMetadata | undefined;
  #refreshAt = 0;
  #pending: Promise<AuthorizationServerMetadata> | undefined;

  constructor(issuer: string, options: DiscoveryOptions) {
    this.#issuer = issuer;
    this.#timeout = options.timeout;
    this.#maxAge = options.maxAge ?? 600_000;
    this.#retryAfter = options.retryAfter ?? 30_000;
  }

  /** The metadata, fetched when absent or older than `maxAge`. */
  async get(): Promise<AuthorizationServerMetadata> {
    if (this.#metadata !== undefined && Date.now() < this.#refreshAt) return this.#metadata;
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #refresh(): Promise<AuthorizationServerMetadata> {
    try {
      const metadata = await this.#fetch();
      this.#metadata = metadata;
      this.#refreshAt = Date.now() + this.#maxAge;
      return metadata;
    } catch (cause) {
      if (this.#metadata !== undefined) {
        this.#refreshAt = Date.now() + this.#retryAfter;
        return this.#metadata;
      }
      throw new TemporarilyUnavailable('the authorization server is unavailable', {
        cause,
        message: `api-guard: could not fetch the metadata of issuer ${this.#issuer}: ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  }

  async #fetch(): Promise<AuthorizationServerMetadata> {
    let lastError: unknown;
    for (const url of metadataUrls(this.#issuer)) {
      try {
        return validateMetadata(await fetchJson(url, this.#timeout), this.#issuer);
      } catch (err) {
        lastError = err;
        if (!(err instanceof NotFound)) throw err;
      }
    }
    throw lastError;
  }
}

async function fetchJson(url: string, timeout: number): Promise<unknown> {
  const response = await fetch(url, {
    headers: { accept: 'application/json' },
    redirect: 'error',
    signal: AbortSignal.timeout(timeout),
  });
  if (response.status === 404) {
    await response.body?.cancel();
    throw new NotFound(`${url} answered 404`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${url} answered ${response.status}, expected 200`);
  }
  return response.json();
}

/** Checks the members used here; the issuer must match exactly (RFC 8414 §3.3). */
function validateMetadata(body: unknown, issuer: string): AuthorizationServerMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error('the metadata is not a JSON object');
  }
  const metadata = body as Record<string, unknown>;
  if (metadata.issuer !== issuer) {
    throw new Error(`the metadata names issuer ${JSON.stringify(metadata.issuer)}, expected ${JSON.stringify(issuer)}`);
  }
  for (const member of ['jwks_uri', 'introspection_endpoint'] as const) {
    if (metadata[member] !== undefined && !isAllowedEndpoint(metadata[member])) {
      throw new Error(`the metadata's ${member} must be an https URL (http allowed for localhost)`);
    }
  }
  return metadata as AuthorizationServerMetadata;
}
