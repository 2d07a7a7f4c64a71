/** What every endpoint and middleware of one BFF instance shares. */
import type { BffLogger } from './logger.ts';
import type { ResolvedOptions } from './options.ts';
import type { ProviderClient } from './protocol/provider-client.ts';
import type { SessionRepository } from './session/repository.ts';
import type { SessionStore } from './session/store.ts';
import type { ClientCredentials } from './tokens/client-credentials.ts';
import type { TokenManager } from './tokens/token-manager.ts';

/** The shared parts of a BFF instance. */
export interface Bff {
  options: ResolvedOptions;
  provider: ProviderClient;
  store: SessionStore;
  repository: SessionRepository;
  tokens: TokenManager;
  clientTokens: ClientCredentials;
  logger: BffLogger;
}
