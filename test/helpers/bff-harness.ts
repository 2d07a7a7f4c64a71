/**
 * The BFF test helpers (session store access, token-leak checks, login walks
 * that stop early, raw requests, Set-Cookie parsing) live with the BFF
 * package's test support; the root suites import them from here. Each takes
 * anything with a `bff` (the demo stack too) and either tab class.
 */
export { dump, closedPort, parseSetCookie, rawRequest, setCookiesFor, type ParsedSetCookie, type RawResponse } from '../../packages/bff/test/support/http.ts';
export { authorizationUrl, loginAgain, loginFrom, loginUntilCallback } from '../../packages/bff/test/support/login.ts';
export { SESSION_COOKIE, expectNoTokenIn, memoryStore, rawTokens, sessionIdOf, sessionRecord, sessionsOf, tokensOf } from '../../packages/bff/test/support/session.ts';
