/**
 * OpenID Connect Front-Channel Logout 1.0 in a real browser: an OpenID
 * provider whose logout page frames every client's `frontchannel_logout_uri`,
 * and a Chromium whose cookie setting blocks third-party cookies.
 *
 * oidc-provider 8 (the BFF package's devDependency, 8.8 here) has no
 * front-channel logout feature (no `features.frontchannelLogout`, nothing about
 * it in its lib), so this provider adds the OP's side itself, as the spec
 * describes it (§2, §4): the client registers
 * `frontchannel_logout_uri` with `frontchannel_logout_session_required: true`;
 * its ID tokens carry `sid`; when the user confirms logout at the provider, the
 * provider answers a page with one iframe per client of that provider session,
 * `frontchannel_logout_uri?iss=<issuer>&sid=<that client's sid>`, and moves on
 * (to `post_logout_redirect_uri` or its own "signed out" page) once they have
 * loaded. Everything else is oidc-provider's own: devInteractions login (any
 * password), RP-initiated logout with its confirmation form.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type ProviderType from '../../packages/bff/node_modules/@types/oidc-provider/index.d.ts';
import type { Client, Configuration, KoaContextWithOIDC } from '../../packages/bff/node_modules/@types/oidc-provider/index.d.ts';
import { CHROMIUM_PATH } from './browser.ts';

const { default: Provider } = (await import(new URL('../../packages/bff/node_modules/oidc-provider/lib/index.js', import.meta.url).href)) as { default: typeof ProviderType };

/** A client registered for front-channel logout. */
export interface FrontchannelClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Registered with `frontchannel_logout_session_required: true` (the provider adds `iss` and `sid`). */
  frontchannelLogoutUri: string;
}

/** A running provider with front-channel logout. */
export interface FrontchannelProvider {
  issuer: string;
  /** The iframe URLs of every logout page the provider rendered, one list per page, in order. */
  logoutPages: string[][];
  /** A page on the provider's origin that frames `src` (what a provider page framing a URL looks like to the browser). */
  frameUrl(src: string): string;
  stop(): Promise<void>;
}

/** oidc-provider's client with the front-channel metadata registered as extra client metadata. */
type FrontchannelClientModel = Client & { frontchannel_logout_uri?: string; frontchannel_logout_session_required?: boolean };

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The provider's page while front-channel logout runs: one iframe per client, then on to `next` once all have loaded. */
function frontchannelPage(frames: string[], next: string): string {
  const iframes = frames.map((src) => `<iframe src="${escapeHtml(src)}" onload="loaded()" width="300" height="40" title="front-channel logout"></iframe>`).join('\n');
  // The script comes before the iframes: no load event can fire before `loaded` exists.
  return `<!doctype html><html><head><meta charset="utf-8"><title>Signing out</title></head><body>
<p>Signing you out of every application…</p>
<script>
  let pending = ${frames.length};
  const next = ${JSON.stringify(next)};
  function loaded() { if (--pending === 0) setTimeout(() => location.replace(next), 50); }
  setTimeout(() => location.replace(next), 5000);
</script>
${iframes}
</body></html>`;
}

/** Starts the provider on `host` (a port of its own), with `clients` registered. */
export async function startFrontchannelProvider(host: string, clients: FrontchannelClient[]): Promise<FrontchannelProvider> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider.invalid');
    if (req.method === 'GET' && url.pathname === '/test/frame') {
      // Test page: frames one URL from the provider's origin (as the logout page does).
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<!doctype html><html><body><iframe src="${escapeHtml(url.searchParams.get('src') ?? 'about:blank')}" title="framed"></iframe></body></html>`);
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
  const logoutPages: string[][] = [];

  const configuration: Configuration = {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      frontchannel_logout_uri: c.frontchannelLogoutUri,
      frontchannel_logout_session_required: true,
    })),
    extraClientMetadata: { properties: ['frontchannel_logout_uri', 'frontchannel_logout_session_required'] },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, name: `${sub} (front-channel)` }) }),
    // `sid: null`: a claim oidc-provider may put in ID tokens (it does when includeSid says so).
    claims: { openid: ['sub'], profile: ['name'], sid: null },
    cookies: { keys: ['frontchannel-cookie-key-frontchannel'] },
    pkce: { required: () => true, methods: ['S256'] },
    // First-party: every grant pre-established, so no consent screen.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
    ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 3600, Grant: 86_400, Session: 86_400, Interaction: 600 },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = `<!doctype html><html><body>${form}<p>Sign out of the provider?</p><button form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = '<!doctype html><html><body><p data-testid="provider-signed-out">Signed out at the provider.</p></body></html>';
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = `<!doctype html><html><body>error: ${escapeHtml(String(out['error']))}</body></html>`;
    },
  };
  const provider = new Provider(issuer, configuration);
  // `sid` in the ID token for front-channel clients too (oidc-provider 8 only knows back-channel's).
  // Extra client metadata keeps its snake_case name on the client object.
  const includeSid = provider.Client.prototype.includeSid;
  provider.Client.prototype.includeSid = function (this: FrontchannelClientModel) {
    return Boolean(includeSid.call(this) || this.frontchannel_logout_session_required);
  };
  provider.use(async (ctx, next) => {
    await next();
    // Logout confirmed (the session is destroyed, its object still in memory): instead of the 303,
    // the page that frames each client's front-channel logout URI, then the 303's target.
    if (ctx.method !== 'POST' || ctx.path !== '/session/end/confirm' || ctx.status !== 303) return;
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (!oidc.params?.['logout']) return;
    const frames: string[] = [];
    for (const [clientId, authorization] of Object.entries(oidc.session?.authorizations ?? {})) {
      const client = (await oidc.provider.Client.find(clientId)) as FrontchannelClientModel | undefined;
      if (!client?.frontchannel_logout_uri || !authorization.sid) continue;
      const uri = new URL(client.frontchannel_logout_uri);
      uri.searchParams.set('iss', issuer);
      uri.searchParams.set('sid', authorization.sid);
      frames.push(uri.href);
    }
    if (!frames.length) return;
    logoutPages.push(frames);
    const next303 = ctx.response.get('location');
    ctx.remove('location');
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = frontchannelPage(frames, next303);
  });
  handler = provider.callback();
  return {
    issuer,
    logoutPages,
    frameUrl: (src) => `${issuer}/test/frame?${new URLSearchParams({ src })}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A Chromium profile that blocks third-party cookies, and how to close it. */
export interface BlockingBrowser {
  /** The profile's one browser context (a persistent profile: the cookie setting is a profile preference). */
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium (the same binary and switches as browser.ts) on a fresh
 * profile whose cookie setting is "Block third-party cookies" (`profile.cookie_controls_mode`
 * = 1, what chrome://settings/cookies writes). On Chromium 156 the
 * `--test-third-party-cookie-phaseout` switch changes nothing observable (with the
 * setting at "allow", a SameSite=None cookie still reaches a cross-site iframe), and
 * a fresh profile happens to block them already: the setting makes that explicit,
 * and the test checks that it blocks instead of assuming it.
 */
export async function launchChromiumBlockingThirdPartyCookies(): Promise<BlockingBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: apt-get update && apt-get install -y chromium (see launchChromium in browser.ts)`);
  const profile = mkdtempSync(path.join(tmpdir(), 'portcullis-3pc-'));
  mkdirSync(path.join(profile, 'Default'));
  writeFileSync(path.join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 1 } }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1000, height: 760 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
