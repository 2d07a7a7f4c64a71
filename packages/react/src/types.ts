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
  /** Authentication context class of the login (`acr` claim), e.g. `urn:portcullis:mfa`. */
  acr?: string;
  /** When the user last authenticated at the provider, in unix seconds (`auth_time`). */
  authTime?: number;
}

/**
 * Options of `login()`. Each one but `returnTo` is forwarded by the BFF to the provider's
 * authorization request under its OpenID Connect name.
 */
export interface LoginOptions {
  /** Where the BFF returns after login (a same-origin path). @defaultValue the current path, search and hash */
  returnTo?: string;
  /** `prompt`: `'none'` for a silent login (see `loginError`), `'login'` to force re-authentication, … */
  prompt?: 'none' | 'login' | 'consent' | 'select_account' | 'create' | (string & {});
  /** `max_age`: seconds since the last authentication after which the user must authenticate again. */
  maxAge?: number;
  /** `acr_values`: space-separated authentication context classes wanted, e.g. `urn:portcullis:mfa`. */
  acrValues?: string;
  /** `login_hint`: the user's identifier, if known. */
  loginHint?: string;
  /** `ui_locales`: space-separated BCP 47 language tags for the provider's pages. */
  uiLocales?: string;
}

/** Why a silent login (`prompt: 'none'`) came back without a session: the user must interact. */
export type SilentLoginError = 'login_required' | 'consent_required' | 'interaction_required' | 'account_selection_required';

/** A `fetch`-compatible function. */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
