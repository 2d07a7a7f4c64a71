/** Where the browser stands with its BFF session. */
export type AuthStatus = 'loading' | 'authenticated' | 'anonymous' | 'error';

/** ID token claims the BFF exposes in `GET {bffPath}/user` (`claims`). */
export interface UserClaims {
  name?: string;
  email?: string;
  preferred_username?: string;
  [claim: string]: unknown;
}

/** Body of a successful `GET {bffPath}/user`. */
export interface BffSession {
  /** Subject of the signed-in user. */
  sub: string;
  /** ID token claims. */
  claims: UserClaims;
  /** End of the BFF session, in unix seconds. */
  expiresAt: number;
  /** Same-origin path that ends the session, e.g. `/bff/logout?sid=…`. */
  logoutUrl: string;
}

/** A `fetch`-compatible function. */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
