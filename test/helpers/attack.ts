/**
 * The attack suite's helpers (test/security, and test/integration's
 * fast-path-security-* which re-run some of it), one module per concern
 * under ./attack/; this index keeps the suite's single import path.
 */
export { AuditedStore } from './attack/audited-store.ts';
export { startArena, startEchoArena, type Arena, type EchoArena, type GuardOptions, type StoreSnapshot } from './attack/arena.ts';
export { rawHttp, type RawExchange } from './attack/raw-http.ts';
export { startUpstream, type Upstream, type UpstreamRequest } from './attack/upstream.ts';
export { wsHandshake, type HandshakeResult } from './attack/websocket.ts';
export { pendingLogin, type PendingLogin } from './attack/pending-login.ts';
export { discovery, interceptTokenEndpoint, type TokenExchange } from './attack/token-endpoint.ts';
export { setCookiesNamed } from './attack/set-cookie.ts';
