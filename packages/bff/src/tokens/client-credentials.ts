/**
 * The BFF's own access tokens (client credentials grant), for APIs routed
 * with `token: 'client'` or `'userOrClient'`: machine-to-machine calls.
 * Cached per (scope, resource) until shortly before expiry; one grant at a
 * time per cache key. With DPoP they are bound to the instance's key.
 */
import type { ClientToken, ProviderClient } from '../protocol/provider-client.ts';
import { LATER, type Later } from '../later.ts';
import { expiresWithin } from './expiry.ts';
import { SingleFlight } from './single-flight.ts';

interface Cached extends ClientToken {
  issuedAt: number;
}

/** What the client-credentials cache works with. */
export interface ClientCredentialsDeps {
  provider: Pick<ProviderClient, 'clientCredentials'>;
  /** Renew a token that expires within this many seconds (capped at half its life). */
  refreshSkew: number;
}

/** Client-credentials tokens with a cache. */
export class ClientCredentials {
  readonly #deps: ClientCredentialsDeps;
  readonly #cache = new Map<string, Cached>();
  readonly #flights = new SingleFlight<Cached>();

  constructor(deps: ClientCredentialsDeps) {
    this.#deps = deps;
  }

  /** A valid client token for `scope` and `resource` (its type says whether it is DPoP-bound). */
  async token(scope?: string, resource?: string): Promise<ClientToken> {
    const cached = this.tokenNow(scope, resource);
    if (cached !== LATER) return cached;
    const key = cacheKey(scope, resource);
    const fresh = await this.#flights.run(key, async () => ({ ...(await this.#deps.provider.clientCredentials(scope, resource)), issuedAt: Math.floor(Date.now() / 1000) }));
    this.#cache.set(key, fresh);
    return fresh;
  }

  /** {@link token} when the cached one is still good (no promise), else {@link LATER}. */
  tokenNow(scope?: string, resource?: string): ClientToken | Later {
    const cached = this.#cache.get(cacheKey(scope, resource));
    return cached && !expiresWithin(cached.expiresAt, cached.issuedAt, this.#deps.refreshSkew) ? cached : LATER;
  }
}

const cacheKey = (scope: string | undefined, resource: string | undefined): string => `${scope ?? ''} ${resource ?? ''}`;
