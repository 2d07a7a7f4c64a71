/**
 * The BFF's view of the OpenID provider: oidc-client-ts's `OidcClient` used
 * server-side as the protocol engine (discovery, authorization request with
 * PKCE, code exchange, refresh, end-session URL, revocation), plus jose for
 * what it does not do (ID token signatures, the discovery issuer check).
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { ErrorResponse, Log, OidcClient, type OidcMetadata, type RefreshState, type SigninResponse } from 'oidc-client-ts';
import { BffError, InvalidToken, TemporarilyUnavailable } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { TokenCipher } from '../session/crypto.ts';
import type { SessionStore } from '../session/store.ts';
import { verifyIdToken } from './id-token.ts';
import { fetchUserinfo } from './userinfo.ts';
import { createStateStore } from './state-store.ts';

// oidc-client-ts logs nothing unless told; keep it that way (its messages may quote responses).
Log.setLevel(Log.NONE);

/** Data carried through the login round trip, inside the server-side state. */
export interface LoginStateData {
  returnTo: string;
  /** SHA-256 of the browser-binding cookie value. */
  binding: string;
}

/** Tokens and claims from a successful code exchange or refresh. */
export interface ProviderTokens {
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  expiresAt: number;
  scope: string | undefined;
  /** Refresh token expiry, unix seconds, when the provider sends the non-standard `refresh_expires_in`. */
  refreshExpiresAt: number | undefined;
  claims: Record<string, unknown> & { sub: string };
}

/** What an end-session URL carries. */
export interface EndSessionParams {
  postLogoutRedirectUri: string;
  /** A fresh random value stored server-side (Keycloak redirects back only with one). */
  state: string;
  logoutHint?: string;
  idTokenHint?: string;
}

/** The parts of discovery the BFF relies on. */
export type ProviderMetadata = Partial<OidcMetadata> & {
  issuer: string;
  authorization_response_iss_parameter_supported?: boolean;
  backchannel_logout_supported?: boolean;
  frontchannel_logout_supported?: boolean;
};

/** Wraps an `OidcClient` configured for a confidential client with a server-side state store. */
export class ProviderClient {
  readonly oidc: OidcClient;
  readonly #options: ResolvedOptions;
  #jwks: JWTVerifyGetKey | undefined;

  constructor(options: ResolvedOptions, store: SessionStore, cipher: TokenCipher) {
    this.#options = options;
    this.oidc = new OidcClient({
      authority: options.issuer,
      client_id: options.clientId,
      // RFC 6749 §2.3.1: HTTP Basic carries the form-urlencoded secret; oidc-client-ts sends it as given,
      // so a secret with `+ / : & = %` failed at strict providers. (client_post sends it form-encoded already.)
      client_secret: options.clientAuthentication === 'client_secret_basic' ? encodeURIComponent(options.clientSecret) : options.clientSecret,
      client_authentication: options.clientAuthentication,
      redirect_uri: options.redirectUri,
      post_logout_redirect_uri: `${options.origin}/`,
      response_type: 'code',
      response_mode: 'query',
      scope: options.scope,
      loadUserInfo: false,
      filterProtocolClaims: false,
      stateStore: createStateStore(store, cipher),
      requestTimeoutInSeconds: 10,
      revokeTokenAdditionalContentTypes: ['text/plain'],
      extraQueryParams: options.authorizationParams,
    });
  }

  /** Discovery, cached after the first success; its `issuer` must equal the configured one exactly. */
  async metadata(): Promise<ProviderMetadata> {
    const metadata = (await unavailableOnNetworkError(() => this.oidc.metadataService.getMetadata())) as ProviderMetadata;
    if (metadata.issuer !== this.#options.issuer) {
      throw new TemporarilyUnavailable(`The provider's discovery document names issuer "${metadata.issuer}", not the configured "${this.#options.issuer}".`);
    }
    return metadata;
  }

  /** The provider's signing keys (jose remote key set: cached, refetched on an unknown kid). */
  async keys(): Promise<JWTVerifyGetKey> {
    if (!this.#jwks) {
      const { jwks_uri } = await this.metadata();
      if (!jwks_uri) throw new TemporarilyUnavailable('The provider advertises no jwks_uri.');
      this.#jwks = createRemoteJWKSet(new URL(jwks_uri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    }
    return this.#jwks;
  }

  /** The authorization URL (PKCE S256, state, nonce); the state is stored server-side. */
  async authorizationUrl(data: LoginStateData, nonce: string, params: Record<string, string> = {}): Promise<string> {
    // The standard ones through their own arguments; provider-specific ones on top of authorizationParams.
    const { prompt, max_age, acr_values, login_hint, ui_locales, ...extra } = params;
    // A standard parameter chosen by the browser replaces the configured one (e.g. Google's prompt=consent):
    // sent twice, the provider would refuse the request.
    const configured = Object.fromEntries(Object.entries(this.#options.authorizationParams).filter(([name]) => !(name in params)));
    const request = await unavailableOnNetworkError(() =>
      this.oidc.createSigninRequest({
        state: data,
        nonce,
        ...(prompt ? { prompt } : {}),
        ...(max_age ? { max_age: Number(max_age) } : {}),
        ...(acr_values ? { acr_values } : {}),
        ...(login_hint ? { login_hint } : {}),
        ...(ui_locales ? { ui_locales } : {}),
        extraQueryParams: { ...configured, ...extra },
      }),
    );
    return request.url;
  }

  /** Reads the stored state of a callback without consuming it; `undefined` when unknown. */
  async peekState(callbackUrl: string): Promise<{ data: LoginStateData; nonce: string | undefined } | undefined> {
    try {
      const { state } = await this.oidc.readSigninResponseState(callbackUrl, false);
      return { data: state.data as LoginStateData, nonce: (state as { nonce?: string }).nonce };
    } catch (err) {
      if (err instanceof BffError) throw err; // e.g. the session store is down: 503, not "unknown state"
      if (isNetworkError(err)) throw new TemporarilyUnavailable(undefined, { cause: err });
      return undefined;
    }
  }

  /** Consumes the state and exchanges the code (client_secret, code_verifier); verifies the ID token. */
  async exchangeCode(callbackUrl: string, nonce: string | undefined): Promise<ProviderTokens> {
    const response = await unavailableOnNetworkError(() => invalidOnValidationError(() => this.oidc.processSigninResponse(callbackUrl)));
    if (!response.id_token) throw new InvalidToken('The provider returned no ID token: is "openid" in the scope?');
    return this.#tokens(response, { nonce: nonce ?? '' });
  }

  /** A refresh-token grant; the new ID token (if any) must be about the same subject. */
  async refresh(refreshToken: string, sub: string, idToken: string | undefined, scope?: string): Promise<ProviderTokens> {
    // RefreshState is a type-only export at runtime; its fields are all the client reads.
    const state = { refresh_token: refreshToken, id_token: idToken, session_state: null, profile: { sub }, scope, data: undefined } as unknown as RefreshState;
    const response = await unavailableOnNetworkError(() => invalidOnValidationError(() => this.oidc.useRefreshToken({ state })));
    return this.#tokens(response, { sub });
  }

  /**
   * The URL that ends the session at the provider, or `undefined` when it has none (Google, or no
   * end_session_endpoint in discovery). RP-Initiated Logout with `client_id`,
   * `post_logout_redirect_uri`, `state` and the hints given; Cognito's `/logout?client_id&logout_uri`
   * (on the hosted-UI domain of its authorization endpoint) for the `cognito` profile.
   */
  async endSessionUrl(params: EndSessionParams): Promise<string | undefined> {
    const { style } = this.#options.profile.logout;
    if (style === 'none') return undefined;
    const metadata = await this.metadata();
    if (style === 'cognito') {
      if (!metadata.authorization_endpoint) return undefined;
      const url = new URL('/logout', metadata.authorization_endpoint);
      url.searchParams.set('client_id', this.#options.clientId);
      url.searchParams.set('logout_uri', params.postLogoutRedirectUri);
      url.searchParams.set('state', params.state);
      return url.href;
    }
    if (!metadata.end_session_endpoint) return undefined;
    const request = await this.oidc.createSignoutRequest({
      client_id: this.#options.clientId,
      post_logout_redirect_uri: params.postLogoutRedirectUri,
      ...(params.idTokenHint ? { id_token_hint: params.idTokenHint } : {}),
      // Our own state (stored by the logout endpoint), not oidc-client-ts's: it would share the login states' keys.
      extraQueryParams: { state: params.state, ...(params.logoutHint ? { logout_hint: params.logoutHint } : {}) },
    });
    return request.url;
  }

  /**
   * The userinfo endpoint's claims for an access token (JSON, or a JWT verified like an ID
   * token); their `sub` must be `sub`, else `InvalidToken`. `undefined` when the provider
   * advertises no userinfo endpoint.
   */
  async userinfo(accessToken: string, sub: string): Promise<Record<string, unknown> | undefined> {
    const { userinfo_endpoint } = await this.metadata();
    if (!userinfo_endpoint) return undefined;
    return fetchUserinfo(userinfo_endpoint, accessToken, sub, { keys: () => this.keys(), issuer: this.#options.issuer, clientId: this.#options.clientId });
  }

  /** Revokes a refresh token (RFC 7009) when the provider has a revocation endpoint; `false` when it has none. */
  async revoke(refreshToken: string): Promise<boolean> {
    const { revocation_endpoint } = await this.metadata();
    if (!revocation_endpoint) return false;
    await unavailableOnNetworkError(() => this.oidc.revokeToken(refreshToken, 'refresh_token'));
    return true;
  }

  async #tokens(response: SigninResponse, expect: { nonce?: string; sub?: string }): Promise<ProviderTokens> {
    const o = this.#options;
    let claims: ProviderTokens['claims'] | undefined;
    if (response.id_token) {
      claims = await verifyIdToken(response.id_token, await this.keys(), {
        issuer: o.issuer,
        clientId: o.clientId,
        algorithms: o.idTokenAlgorithms,
        clockTolerance: o.clockTolerance,
        maxAgeSeconds: 600,
        ...expect,
      });
    }
    if (!response.access_token) throw new InvalidToken('The provider returned no access token.');
    return {
      accessToken: response.access_token,
      refreshToken: response.refresh_token,
      idToken: response.id_token,
      // Without expires_in, assume a short life so the BFF refreshes early rather than late.
      expiresAt: response.expires_at ?? Math.floor(Date.now() / 1000) + 300,
      scope: response.scope,
      refreshExpiresAt: refreshExpiresAt(response),
      claims: claims ?? { sub: expect.sub ?? '' },
    };
  }
}

/** True for failures to reach the provider (DNS, refused connection, timeout), as opposed to an OAuth error. */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof ErrorResponse) return false;
  if (!(err instanceof Error)) return false;
  return err.name === 'ErrorTimeout' || err.name === 'AbortError' || err.name === 'TimeoutError' || (err instanceof TypeError && /fetch failed/i.test(err.message)) || /Failed to fetch|ECONNREFUSED|network/i.test(err.message);
}

/**
 * oidc-client-ts checks some ID token claims itself (nonce, sub, iss…) and throws
 * plain errors: those are invalid tokens (401), not server errors. OAuth error
 * responses and network failures keep their own meaning.
 */
async function invalidOnValidationError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ErrorResponse || isNetworkError(err) || !(err instanceof Error) || /No matching state/.test(err.message)) throw err;
    throw new InvalidToken('The provider\'s token response failed validation.', { cause: err });
  }
}

async function unavailableOnNetworkError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isNetworkError(err)) throw new TemporarilyUnavailable('The identity provider could not be reached: try again shortly.', { cause: err });
    throw err;
  }
}

function refreshExpiresAt(response: SigninResponse): number | undefined {
  const seconds = (response as unknown as { refresh_expires_in?: unknown }).refresh_expires_in;
  return typeof seconds === 'number' && seconds > 0 ? Math.floor(Date.now() / 1000) + seconds : undefined;
}
