/**
 * Test providers for the compatibility matrix: one oidc-provider per
 * behaviour a real provider documents (see FIELD-NOTES "Real providers
 * differ"), built with oidc-provider directly (the BFF package's
 * devDependency) and a few Koa middlewares in front of it that reproduce
 * what oidc-provider does not do by itself:
 *
 * - `endSession.require`: RP-initiated logout refused without these
 *   parameters (Okta: `id_token_hint`); `redirectOnlyWithState` (Keycloak:
 *   no way back without `state`); `logoutHint` (Entra: an account picker
 *   without the right `logout_hint`);
 * - `endSession.style`: `oidc` (end_session_endpoint), `cognito` (no
 *   end_session_endpoint, `/logout?client_id&logout_uri` instead) or `none`
 *   (Google: no RP-initiated logout at all);
 * - `revocation: false` (Entra), `backchannel` / `frontchannel` in
 *   discovery, `iss: false` (no RFC 9207 `iss` in the authorization
 *   response), `thinIdToken` (profile claims only at userinfo);
 * - `tokenEndpointAuthMethod` (Cognito: client_secret_post).
 *
 * The login is oidc-provider's devInteractions (any password), without a
 * consent screen unless `prompt=consent` asks for one.
 *
 * What every test provider shares (listening before the issuer is known,
 * PKCE, rotation, the logout pages, grant counting, the recorded
 * authorization requests) is the BFF package's test provider
 * (packages/bff/test/support/provider.ts); this file adds the behaviours.
 */
import { page, startTestProvider as startProvider, type KoaContextWithOIDC } from '../../packages/bff/test/support/provider.ts';

/** What a simulated provider does differently. */
export interface ProviderBehaviour {
  endSession: {
    style: 'oidc' | 'cognito' | 'none';
    /** RP-initiated logout refused (400) without these parameters. */
    require?: string[];
    /** Without `state`, the provider ends its session but does not redirect back (Keycloak). */
    redirectOnlyWithState?: boolean;
    /** Without this `logout_hint`, an account picker instead of a logout (Entra). */
    logoutHint?: string;
  };
  revocation: boolean;
  backchannel: boolean;
  frontchannel: boolean;
  /** Send RFC 9207 `iss` in authorization responses (and say so in discovery). */
  iss: boolean;
  /** Profile and email claims at userinfo only (conformIdTokenClaims). */
  thinIdToken: boolean;
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
  /** A broken provider: its userinfo answers about this subject instead of the user's. */
  userinfoSub?: string;
}

/** A running simulated provider. */
export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Query of every authorization request received, in order. */
  authorizations: URLSearchParams[];
  /** Query of every RP-initiated end-session request received (Cognito's /logout included). */
  endSessions: URLSearchParams[];
  /** Grants by grant_type. */
  grants: Record<string, number>;
  stop(): Promise<void>;
}

/** The user every walk logs in as, and the claims the provider holds about them. */
export const ALICE = { sub: 'alice', name: 'Alice Liddell', email: 'alice@example.com', email_verified: true, login_hint: 'alice-login-hint' } as const;

/** Starts a provider for a BFF at `baseUrl` (redirect, post-logout and back-channel URIs registered there). */
export async function startTestProvider(behaviour: ProviderBehaviour, baseUrl: string): Promise<TestProvider> {
  const clientId = 'matrix-bff';
  const clientSecret = 'matrix-secret-with-+/:&=%-characters';
  const endSessions: URLSearchParams[] = [];
  const core = await startProvider({
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${baseUrl}/bff/callback`],
        post_logout_redirect_uris: [`${baseUrl}/`, `${baseUrl}/bye`],
        token_endpoint_auth_method: behaviour.tokenEndpointAuthMethod,
        // sid in the ID token needs a back-channel registration in oidc-provider; a front-channel-only
        // provider gets one too, delivered nowhere (see setup below), and discovery hides it.
        ...(behaviour.backchannel || behaviour.frontchannel ? { backchannel_logout_uri: `${baseUrl}/bff/backchannel-logout`, backchannel_logout_session_required: true } : {}),
      },
    ],
    configuration: {
      findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ ...ALICE, sub }) }),
      claims: { openid: ['sub', 'login_hint'], profile: ['name'], email: ['email', 'email_verified'], sid: null, acr: null, auth_time: null },
      conformIdTokenClaims: behaviour.thinIdToken,
      // First-party: every grant pre-established, so no consent screen (unless prompt=consent asks).
      loadExistingGrant: async (ctx) => {
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope('openid profile email offline_access');
        await grant.save();
        return grant;
      },
      issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      features: {
        devInteractions: { enabled: true },
        revocation: { enabled: behaviour.revocation },
        backchannelLogout: { enabled: behaviour.backchannel || behaviour.frontchannel },
        rpInitiatedLogout: {
          enabled: behaviour.endSession.style !== 'none',
          logoutSource: async (ctx, form) => page(ctx, 200, `${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button>`),
          postLogoutSuccessSource: async (ctx) => page(ctx, 200, 'Signed out at the provider.'),
        },
      },
      renderError: async (ctx, out) => page(ctx, 400, `error: ${out['error']}`),
    },
    setup: (provider) => {
      if (behaviour.frontchannel && !behaviour.backchannel) {
        // No back-channel at this provider: swallow the logout tokens oidc-provider would send.
        provider.Client.prototype.backchannelLogout = async () => undefined;
      }
      provider.use(async (ctx, next) => {
        const query = new URLSearchParams(ctx.querystring);
        if (behaviour.endSession.style === 'cognito' && ctx.path === '/logout' && ctx.method === 'GET') {
          // Cognito's shape: /logout?client_id&logout_uri (a registered sign-out URL); on to the real end-session.
          endSessions.push(query);
          if (query.get('client_id') !== clientId || !query.get('logout_uri')) return page(ctx as KoaContextWithOIDC, 400, 'error: invalid_request');
          const next = new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: query.get('logout_uri')!, ...(query.get('state') ? { state: query.get('state')! } : {}) });
          ctx.redirect(`/session/end?${next}`);
          return;
        }
        if (ctx.path === '/session/end' && ctx.method === 'GET' && query.has('client_id')) {
          // RP-initiated (a bare /session/end is the provider's own logout page: allowed).
          if (behaviour.endSession.style === 'oidc') endSessions.push(query);
          const missing = (behaviour.endSession.require ?? []).filter((name) => !query.get(name));
          if (missing.length) return page(ctx as KoaContextWithOIDC, 400, `error: missing ${missing.join(', ')}`);
          if (behaviour.endSession.logoutHint && query.get('logout_hint') !== behaviour.endSession.logoutHint) return page(ctx as KoaContextWithOIDC, 200, 'Pick an account to sign out');
          if (behaviour.endSession.redirectOnlyWithState && !query.get('state')) {
            query.delete('post_logout_redirect_uri');
            ctx.querystring = query.toString();
          }
        }
        await next();
        if (behaviour.userinfoSub && ctx.path === '/me' && ctx.body && typeof ctx.body === 'object') (ctx.body as Record<string, unknown>)['sub'] = behaviour.userinfoSub;
        if (ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
          const discovery = ctx.body as Record<string, unknown>;
          if (behaviour.endSession.style !== 'oidc') delete discovery['end_session_endpoint'];
          if (!behaviour.backchannel) for (const key of ['backchannel_logout_supported', 'backchannel_logout_session_supported']) delete discovery[key];
          if (behaviour.frontchannel) Object.assign(discovery, { frontchannel_logout_supported: true, frontchannel_logout_session_supported: true });
          if (!behaviour.iss) delete discovery['authorization_response_iss_parameter_supported'];
        }
        const location = ctx.response.get('location');
        if (!behaviour.iss && location.startsWith(`${baseUrl}/bff/callback`)) {
          const url = new URL(location);
          url.searchParams.delete('iss');
          ctx.set('location', url.href);
        }
      });
    },
  });
  return {
    issuer: core.issuer,
    clientId,
    clientSecret,
    authorizations: core.authorizations,
    endSessions,
    get grants() {
      return core.grantCounts();
    },
    stop: core.stop,
  };
}
