/**
 * Provider profiles (the `provider` option): what each OpenID provider needs
 * that the standards leave open, as defaults in ONE object per provider
 * (oidc-provider style: read the object to know every default). A profile
 * only sets defaults: every value is also an option of its own
 * (`scope`, `authorizationParams`, `clientAuthentication`, `logout.idTokenHint`,
 * `userinfo`), and an option given explicitly always wins.
 *
 * Sources are the providers' own documentation (named per entry); the
 * `generic` profile is the standards' behaviour and the BFF's secure
 * defaults (no ID token in a URL).
 */

/** The providers with a profile. */
export const PROVIDER_NAMES = ['generic', 'keycloak', 'entra', 'auth0', 'okta', 'cognito', 'google'] as const;

/** A provider profile's name (`provider` option, `PORTCULLIS_PROVIDER`). */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** How the BFF ends the session at the provider. */
export type EndSessionStyle =
  /** OpenID Connect RP-Initiated Logout 1.0 at discovery's `end_session_endpoint`. */
  | 'oidc'
  /** Amazon Cognito's `/logout?client_id=&logout_uri=` on the hosted-UI domain (no end_session_endpoint in discovery). */
  | 'cognito'
  /** No provider logout at all (Google): the BFF ends its own session only and says so. */
  | 'none';

/** The defaults a profile sets. */
export interface ProviderProfile {
  /** Default `scope` (refresh tokens: `offline_access` only where the provider wants it). */
  scope: string;
  /** Default `authorizationParams` (the option's keys are merged over these). */
  authorizationParams: Readonly<Record<string, string>>;
  /** Default `clientAuthentication`. */
  clientAuthentication: 'client_secret_basic' | 'client_secret_post';
  logout: {
    style: EndSessionStyle;
    /** What `logout.idTokenHint: 'auto'` means here: true where the provider requires `id_token_hint`. */
    idTokenHint: boolean;
    /** `logout_hint` sent at end-session: the `login_hint` claim (Entra), else the `sid`. */
    logoutHint: boolean;
  };
  /** Whether to call the revocation endpoint at logout (false: skip quietly, the provider has none). */
  revocation: boolean;
  /** What `userinfo: 'auto'` means here: true where the ID token is thin and the claims live at userinfo. */
  userinfo: boolean;
  /** Documented only: what the profile cannot choose for you. */
  notes: readonly string[];
}

const STANDARD_SCOPE = 'openid profile email offline_access';
const OIDC_LOGOUT = { style: 'oidc', idTokenHint: false, logoutHint: true } as const;

/** Every profile's defaults. */
export const PROVIDER_PROFILES: Readonly<Record<ProviderName, ProviderProfile>> = {
  /** Standards only (OIDC Core, RP-Initiated Logout, RFC 7009); no ID token in URLs. */
  generic: {
    scope: STANDARD_SCOPE,
    authorizationParams: {},
    clientAuthentication: 'client_secret_basic',
    logout: OIDC_LOGOUT,
    revocation: true,
    userinfo: false,
    notes: [],
  },
  /**
   * Keycloak: refresh tokens without asking (offline_access would make them offline tokens that
   * outlive the SSO session); logout with client_id + post_logout_redirect_uri (19+); it redirects
   * back only when `state` is sent; the ID token carries few claims unless mappers add them;
   * logout tokens typed `JWT` before 25 (see {@link LOGOUT_TOKEN_TYPES}).
   */
  keycloak: {
    scope: 'openid profile email',
    authorizationParams: {},
    clientAuthentication: 'client_secret_basic',
    logout: OIDC_LOGOUT,
    revocation: true,
    userinfo: true,
    notes: ['Keycloak sends refresh_expires_in: sessions end with the SSO session.'],
  },
  /**
   * Microsoft Entra ID: offline_access for refresh tokens; `logout_hint` from the `login_hint`
   * claim (else an account picker); no revocation endpoint; thin ID token (claims at userinfo,
   * which needs a Microsoft Graph access token: the default scopes give one).
   */
  entra: {
    scope: STANDARD_SCOPE,
    authorizationParams: {},
    clientAuthentication: 'client_secret_basic',
    logout: OIDC_LOGOUT,
    revocation: false,
    userinfo: true,
    notes: [
      'Add the optional "login_hint" claim to the ID token (token configuration) so logout skips the account picker.',
      'One resource per access token: an API scope replaces the Graph audience userinfo needs.',
    ],
  },
  /** Auth0: offline_access; RP-initiated logout at /oidc/logout; a JWT for your API needs `audience`. */
  auth0: {
    scope: STANDARD_SCOPE,
    authorizationParams: {},
    clientAuthentication: 'client_secret_basic',
    logout: OIDC_LOGOUT,
    revocation: true,
    userinfo: false,
    notes: [
      'Set authorizationParams.audience to your API identifier: without it Auth0 issues an opaque token for /userinfo only.',
      'Enable "RP-Initiated Logout End Session Endpoint Discovery" in the tenant settings.',
    ],
  },
  /** Okta: offline_access; its /logout requires `id_token_hint`. */
  okta: {
    scope: STANDARD_SCOPE,
    authorizationParams: {},
    clientAuthentication: 'client_secret_basic',
    logout: { style: 'oidc', idTokenHint: true, logoutHint: false },
    revocation: true,
    userinfo: false,
    notes: [],
  },
  /**
   * Amazon Cognito: refresh tokens without offline_access (not a Cognito scope); logout at
   * `/logout?client_id&logout_uri` on the hosted-UI domain; client_secret_post.
   */
  cognito: {
    scope: 'openid profile email',
    authorizationParams: {},
    clientAuthentication: 'client_secret_post',
    logout: { style: 'cognito', idTokenHint: false, logoutHint: false },
    revocation: true,
    userinfo: false,
    notes: ['Register the logout URL (baseUrl + returnTo) as a "sign-out URL" of the app client.', 'Access tokens have no aud: APIs check client_id and token_use.'],
  },
  /** Google: no end_session_endpoint (local logout only); refresh tokens need access_type=offline + prompt=consent. */
  google: {
    scope: 'openid profile email',
    authorizationParams: { access_type: 'offline', prompt: 'consent' },
    clientAuthentication: 'client_secret_basic',
    logout: { style: 'none', idTokenHint: false, logoutHint: false },
    revocation: true,
    userinfo: false,
    notes: ['Google access tokens are opaque and for Google APIs only.'],
  },
};

/**
 * `typ` header values a back-channel logout token may carry besides `logout+jwt`
 * (and besides no `typ`, which every profile accepts), per profile. Not a field of
 * {@link ProviderProfile}: it is no default an option could override, only how
 * strictly the BFF reads what the provider signs.
 *
 * Keycloak before 25.0 typed its logout tokens `JWT` (keycloak/keycloak#28939, fixed
 * to `logout+jwt` by #29260 for 25.0): a strict check refuses every back-channel
 * logout from an older Keycloak. Accepting `JWT` there gives up only
 * the explicit typing; the other rules still tell a logout token from an ID or
 * access token (the back-channel-logout `events` claim required, `nonce` refused).
 */
export const LOGOUT_TOKEN_TYPES: Readonly<Record<ProviderName, readonly string[]>> = {
  generic: [],
  keycloak: ['JWT'],
  entra: [],
  auth0: [],
  okta: [],
  cognito: [],
  google: [],
};

/** The options a profile gives defaults to, as given (after validation). */
export interface ProfileInput {
  provider: ProviderName;
  scope?: string | undefined;
  clientAuthentication?: 'client_secret_basic' | 'client_secret_post' | undefined;
  authorizationParams: Record<string, string>;
  logout: { idTokenHint: boolean | 'auto'; revokeTokens?: boolean | undefined };
  userinfo: boolean | 'auto';
}

/** The same options with the profile's defaults applied: explicit options win, `'auto'` is decided. */
export interface ProfileResolved {
  profile: ProviderProfile;
  scope: string;
  clientAuthentication: 'client_secret_basic' | 'client_secret_post';
  authorizationParams: Record<string, string>;
  logout: { idTokenHint: boolean; revokeTokens: boolean };
  userinfo: boolean;
}

/** Applies the `provider` profile to the options it gives defaults to. */
export function resolveProfile(input: ProfileInput): ProfileResolved {
  const profile = PROVIDER_PROFILES[input.provider];
  return {
    profile,
    scope: input.scope ?? profile.scope,
    clientAuthentication: input.clientAuthentication ?? profile.clientAuthentication,
    authorizationParams: { ...profile.authorizationParams, ...input.authorizationParams },
    logout: {
      idTokenHint: input.logout.idTokenHint === 'auto' ? profile.logout.idTokenHint : input.logout.idTokenHint,
      revokeTokens: input.logout.revokeTokens ?? profile.revocation,
    },
    userinfo: input.userinfo === 'auto' ? profile.userinfo : input.userinfo,
  };
}
