/**
 * What a signed-in session holds. It lives server-side only; the browser
 * gets an opaque cookie, and `/bff/user` shows the claims, never the tokens.
 */

import type { DpopPrivateJwk } from '../protocol/dpop-key.ts';

/** The provider's tokens for one session. */
export interface TokenSet {
  accessToken: string;
  /** `'DPoP'` when the access token is bound to {@link TokenSet.dpopKey} (RFC 9449); absent for bearer tokens. */
  tokenType?: 'DPoP';
  /** The session's DPoP private key (with `dpop` on): encrypted at rest with the tokens, never sent anywhere. */
  dpopKey?: DpopPrivateJwk;
  refreshToken?: string;
  idToken: string;
  /** Access token expiry, unix seconds. */
  expiresAt: number;
  /** When the access token was received, unix seconds (the refresh skew never exceeds half its life). */
  issuedAt?: number;
  /** Granted scope, when the token response said. */
  scope?: string;
  /** Refresh token expiry, unix seconds, when the provider says (`refresh_expires_in`, e.g. Keycloak). */
  refreshExpiresAt?: number;
}

/** The authenticated part of a session record. */
export interface UserSession {
  /** Subject at the provider. */
  sub: string;
  /** The provider's session id (`sid` claim), for back-channel logout. */
  sid?: string;
  /** ID token claims shown to the SPA. */
  claims: Record<string, unknown>;
  /** Session-bound random value that `/bff/logout?sid=` must present. */
  logoutId: string;
  /** When the session was created, unix milliseconds (absolute lifetime). */
  createdAt: number;
  /** Authentication context class of the login (`acr` claim), for step-up. */
  acr?: string;
  /** When the user authenticated at the provider (`auth_time` claim), unix seconds, for step-up. */
  authTime?: number;
  /** The browser's User-Agent at login (first 256 characters), for the session list. */
  userAgent?: string;
  tokens: TokenSet;
}

/** The record shape koa-session keeps for a signed-in user. */
export interface SessionData {
  auth?: UserSession;
}
