/**
 * The BFF's view of the OpenID provider. oidc-client-ts's `OidcClient`,
 * used server-side, builds the authorization request (PKCE, state, nonce)
 * and the end-session URL and keeps the login states; the BFF sends the
 * token, PAR and revocation requests itself (client_secret_basic/post,
 * private_key_jwt, DPoP proofs: what oidc-client-ts cannot do in Node), and
 * jose verifies ID token signatures and the discovery issuer.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { ErrorResponse, Log, OidcClient, type OidcMetadata } from 'oidc-client-ts';
import { BffError, InvalidToken, TemporarilyUnavailable } from '../errors.ts';
import type { ResolvedOptions } from '../options.ts';
import type { TokenCipher } from '../session/crypto.ts';
import type { SessionStore } from '../session/store.ts';
import type { AccessCredential } from './access-credential.ts';
import { clientAuthConfig, type ClientAuthConfig } from './client-auth.ts';
import { generateDpopKey, type DpopPrivateJwk } from './dpop-key.ts';
import { DpopNonces } from './dpop-nonces.ts';
import { verifyIdToken } from './id-token.ts';
import { jwkThumbprint } from './jwk-thumbprint.ts';
import { pushAuthorizationRequest } from './par.ts';
import { createStateStore } from './state-store.ts';
import { checkAnswer, postToProvider } from './token-endpoint.ts';
import { readTokenResponse, type TokenResponse } from './token-response.ts';
import { fetchUserinfo } from './userinfo.ts';

// oidc-client-ts logs nothing unless told; keep it that way (its messages may quote responses).
Log.setLevel(Log.NONE);

/** Data carried through the login round trip, inside the server-side state. */
export interface LoginStateData {
  returnTo: string;
  /** SHA-256 of the browser-binding cookie value. */
  binding: string;
  /** The session's DPoP key, made at login so the authorization code is bound to it (`dpop_jkt`). */
  dpopKey?: DpopPrivateJwk;
}

/** Tokens and claims from a successful code exchange or refresh. */
export interface ProviderTokens extends TokenResponse {
  claims: Record<string, unknown> & { sub: string };
  /** The key the tokens are bound to (`tokenType: 'DPoP'`), or that made the request. */
  dpopKey: DpopPrivateJwk | undefined;
}

/** A client-credentials token. */
export interface ClientToken {
  accessToken: string;
  tokenType: 'Bearer' | 'DPoP';
  expiresAt: number;
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
  pushed_authorization_request_endpoint?: string;
  require_pushed_authorization_requests?: boolean;
  dpop_signing_alg_values_supported?: string[];
};

/** Wraps an `OidcClient` configured for a confidential client with a server-side state store. */
export class ProviderClient {
  readonly oidc: OidcClient;
  /** The last `DPoP-Nonce` of each provider endpoint. */
  readonly nonces = new DpopNonces();
  readonly #options: ResolvedOptions;
  readonly #auth: ClientAuthConfig;
  /** This instance's DPoP key for client-credentials tokens (session tokens have their own). */
  readonly #instanceKey: DpopPrivateJwk | undefined;
  #jwks: JWTVerifyGetKey | undefined;

  constructor(options: ResolvedOptions, store: SessionStore, cipher: TokenCipher) {
    this.#options = options;
    this.#auth = clientAuthConfig(options);
    this.#instanceKey = options.dpop ? generateDpopKey(options.dpop) : undefined;
    this.oidc = new OidcClient({
      authority: options.issuer,
      client_id: options.clientId,
      redirect_uri: options.redirectUri,
      post_logout_redirect_uri: `${options.origin}/`,
      response_type: 'code',
      response_mode: 'query',
      scope: options.scope,
      loadUserInfo: false,
      filterProtocolClaims: false,
      stateStore: createStateStore(store, cipher),
      requestTimeoutInSeconds: 10,
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

  /**
   * The URL the browser is sent to: the authorization request (PKCE S256, state, nonce, stored
   * server-side), or with PAR only `client_id` and the pushed request's `request_uri`.
   */
  async authorizationUrl(data: LoginStateData, nonce: string, params: Record<string, string> = {}): Promise<string> {
    // The standard ones through their own arguments; provider-specific ones on top of authorizationParams.
    const { prompt, max_age, acr_values, login_hint, ui_locales, ...extra } = params;
    // A standard parameter chosen by the browser replaces the configured one (e.g. Google's prompt=consent):
    // sent twice, the provider would refuse the request.
    const configured = Object.fromEntries(Object.entries(this.#options.authorizationParams).filter(([name]) => !(name in params)));
    // RFC 9449 §10: the code is bound to the session's key, so a stolen code is useless elsewhere.
    const dpopKey = this.#options.dpop ? generateDpopKey(this.#options.dpop) : undefined;
    const request = await unavailableOnNetworkError(() =>
      this.oidc.createSigninRequest({
        state: dpopKey ? { ...data, dpopKey } : data,
        nonce,
        ...(prompt ? { prompt } : {}),
        ...(max_age ? { max_age: Number(max_age) } : {}),
        ...(acr_values ? { acr_values } : {}),
        ...(login_hint ? { login_hint } : {}),
        ...(ui_locales ? { ui_locales } : {}),
        extraQueryParams: { ...configured, ...extra, ...(dpopKey ? { dpop_jkt: jwkThumbprint(dpopKey) } : {}) },
      }),
    );
    const metadata = await this.metadata();
    const par = this.#options.par === 'auto' ? metadata.require_pushed_authorization_requests === true : this.#options.par;
    if (!par) return request.url;
    const endpoint = metadata.pushed_authorization_request_endpoint;
    if (!endpoint) throw new TemporarilyUnavailable('PAR is on ("par" option) but the provider advertises no pushed_authorization_request_endpoint.');
    return unavailableOnNetworkError(() => pushAuthorizationRequest(request.url, endpoint, { auth: this.#auth, ...(dpopKey ? { dpop: { key: dpopKey, nonces: this.nonces } } : {}) }));
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

  /**
   * Consumes the state and exchanges the code (code_verifier, client authentication, a DPoP proof
   * with the login's key); verifies the ID token. An `error` in the callback is an `ErrorResponse`.
   */
  async exchangeCode(callbackUrl: string, nonce: string | undefined): Promise<ProviderTokens> {
    const { state, response } = await this.oidc.readSigninResponseState(callbackUrl, true);
    if (response.error) throw new ErrorResponse({ error: response.error, error_description: response.error_description });
    if (!response.code || !state.code_verifier) throw new InvalidToken('The callback has no code to exchange.');
    const { dpopKey } = state.data as LoginStateData;
    const tokens = await this.#tokenRequest({ grant_type: 'authorization_code', code: response.code, redirect_uri: this.#options.redirectUri, code_verifier: state.code_verifier }, dpopKey);
    if (!tokens.idToken) throw new InvalidToken('The provider returned no ID token: is "openid" in the scope?');
    return { ...tokens, claims: await this.#verify(tokens.idToken, { nonce: nonce ?? '' }), dpopKey };
  }

  /** A refresh-token grant (with the session's DPoP key); the new ID token (if any) must be about the same subject. */
  async refresh(refreshToken: string, sub: string, scope?: string, dpopKey?: DpopPrivateJwk): Promise<ProviderTokens> {
    const tokens = await this.#tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, scope }, dpopKey);
    const claims = tokens.idToken ? await this.#verify(tokens.idToken, { sub }) : { sub };
    return { ...tokens, claims, dpopKey };
  }

  /** A client-credentials token (bound to this instance's DPoP key when DPoP is on). */
  async clientCredentials(scope?: string, resource?: string): Promise<ClientToken> {
    try {
      const tokens = await this.#tokenRequest({ grant_type: 'client_credentials', scope, resource }, this.#instanceKey);
      return { accessToken: tokens.accessToken, tokenType: tokens.tokenType, expiresAt: tokens.expiresAt };
    } catch (err) {
      // No user to send back to a login: the call cannot be made now, whatever the provider said.
      if (err instanceof ErrorResponse) throw new TemporarilyUnavailable(`The identity provider refused a client token (${err.error ?? 'error'}).`, { cause: err });
      throw err;
    }
  }

  /** The key client-credentials tokens are bound to. */
  get instanceDpopKey(): DpopPrivateJwk | undefined {
    return this.#instanceKey;
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
   * The userinfo endpoint's claims for an access token (a DPoP-bound one with a proof signed by
   * `dpopKey`; JSON, or a JWT verified like an ID token); their `sub` must be `sub`, else `InvalidToken`. `undefined` when the provider
   * advertises no userinfo endpoint.
   */
  async userinfo(credential: AccessCredential, sub: string): Promise<Record<string, unknown> | undefined> {
    const { userinfo_endpoint } = await this.metadata();
    if (!userinfo_endpoint) return undefined;
    const nonce = credential.scheme === 'DPoP' ? this.nonces.get(userinfo_endpoint) : undefined;
    return fetchUserinfo(userinfo_endpoint, credential, sub, { keys: () => this.keys(), issuer: this.#options.issuer, clientId: this.#options.clientId }, nonce);
  }

  /** Revokes a refresh token (RFC 7009) when the provider has a revocation endpoint; `false` when it has none. */
  async revoke(refreshToken: string): Promise<boolean> {
    const { revocation_endpoint } = await this.metadata();
    if (!revocation_endpoint) return false;
    const answer = await unavailableOnNetworkError(() => postToProvider({ url: revocation_endpoint, form: { token: refreshToken, token_type_hint: 'refresh_token' }, auth: this.#auth }));
    checkAnswer(answer, 'revocation endpoint');
    return true;
  }

  async #tokenRequest(form: Record<string, string | undefined>, dpopKey: DpopPrivateJwk | undefined): Promise<TokenResponse> {
    const { token_endpoint } = await this.metadata();
    if (!token_endpoint) throw new TemporarilyUnavailable('The provider advertises no token_endpoint.');
    const answer = await unavailableOnNetworkError(() => postToProvider({ url: token_endpoint, form, auth: this.#auth, ...(dpopKey ? { dpop: { key: dpopKey, nonces: this.nonces } } : {}) }));
    return readTokenResponse(checkAnswer(answer, 'token endpoint'), { dpop: dpopKey !== undefined });
  }

  #verify(idToken: string, expect: { nonce?: string; sub?: string }): Promise<ProviderTokens['claims']> {
    const o = this.#options;
    return this.keys().then((keys) =>
      verifyIdToken(idToken, keys, { issuer: o.issuer, clientId: o.clientId, algorithms: o.idTokenAlgorithms, clockTolerance: o.clockTolerance, maxAgeSeconds: 600, ...expect }),
    );
  }
}

/** True for failures to reach the provider (DNS, refused connection, timeout), as opposed to an OAuth error. */
export function isNetworkError(err: unknown): boolean {
  if (err instanceof ErrorResponse) return false;
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'ErrorTimeout' ||
    err.name === 'AbortError' ||
    err.name === 'TimeoutError' ||
    (err instanceof TypeError && /fetch failed/i.test(err.message)) ||
    /Failed to fetch|ECONNREFUSED|network/i.test(err.message)
  );
}

async function unavailableOnNetworkError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isNetworkError(err)) throw new TemporarilyUnavailable('The identity provider could not be reached: try again shortly.', { cause: err });
    throw err;
  }
}
