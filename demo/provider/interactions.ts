import Router from '@koa/router';
import type Koa from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { BodyTooLargeError, readBody } from '../shared/read-body.ts';
import { authenticate } from './accounts.ts';
import { MFA_ACR, PWD_ACR, PendingCodes, wantsMfa } from './mfa.ts';
import { PAGE_HEADERS, codePage, errorPage, loginPage } from './views.ts';

const FORM_LIMIT = 16 * 1024;

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

function sendHtml(ctx: Koa.Context, status: number, html: string): void {
  ctx.status = status;
  ctx.set(PAGE_HEADERS);
  ctx.type = 'html';
  ctx.body = html;
}

/**
 * Loads the interaction bound to this browser (oidc-provider reads it from the
 * `_interaction` cookie, which is scoped to `/interaction/<uid>`) and checks it
 * is the one named in the URL. That cookie binding is what protects the form
 * POSTs: another site cannot complete someone else's interaction.
 */
async function loadInteraction(provider: Provider, ctx: Koa.Context): Promise<Interaction> {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== ctx.params.uid) {
    throw new errors.SessionNotFound('interaction does not match this browser session');
  }
  return details;
}

async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new errors.InvalidRequest('expected an application/x-www-form-urlencoded body', 415);
  }
  return new URLSearchParams(await readBody(ctx.req, FORM_LIMIT));
}

async function finish(provider: Provider, ctx: Koa.Context, result: Parameters<Provider['interactionResult']>[2]) {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.set('Cache-Control', 'no-store');
  ctx.redirect(returnTo);
}

async function clientName(provider: Provider, interaction: Interaction): Promise<string | undefined> {
  const clientId = interaction.params.client_id;
  if (typeof clientId !== 'string') return undefined;
  const client = await provider.Client.find(clientId);
  return (client?.clientName as string | undefined) ?? clientId;
}

/**
 * First-party auto-consent: grant whatever OIDC scopes, claims and resource
 * scopes the request is missing, so no consent screen is ever shown.
 */
async function autoConsent(provider: Provider, ctx: Koa.Context, interaction: Interaction): Promise<void> {
  const { prompt, params, session } = interaction;
  if (!session?.accountId) throw new errors.SessionNotFound('no signed-in user for this interaction');
  const details = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const grant = interaction.grantId ? await provider.Grant.find(interaction.grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id as string });
  if (!grant) throw new errors.SessionNotFound('grant not found');
  if (details.missingOIDCScope?.length) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims?.length) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await finish(provider, ctx, { consent: interaction.grantId ? {} : { grantId } });
}

function urls(uid: string) {
  const base = `/interaction/${encodeURIComponent(uid)}`;
  return { login: `${base}/login`, mfa: `${base}/mfa`, abort: `${base}/abort` };
}

/** Renders errors of the interaction routes as a page instead of Koa's plain text. */
async function interactionErrors(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      sendHtml(ctx, 413, errorPage({ error: 'Request too large' }));
    } else if (err instanceof errors.OIDCProviderError) {
      const description = err instanceof errors.SessionNotFound ? 'Your sign-in request has expired or was started in another browser. Start again from the application.' : err.error_description;
      sendHtml(ctx, err.statusCode || 400, errorPage({ error: err.error, description }));
    } else {
      ctx.app.emit('error', err, ctx);
      sendHtml(ctx, 500, errorPage({ error: 'server_error', description: 'Unexpected error.' }));
    }
  }
}

/** Koa middleware with the login form, auto-consent and cancel routes. */
export function interactionRoutes(provider: Provider): Koa.Middleware {
  const router = new Router();
  const codes = new PendingCodes();
  router.use(interactionErrors);

  router.get('/interaction/:uid', async (ctx) => {
    const interaction = await loadInteraction(provider, ctx);
    switch (interaction.prompt.name) {
      case 'login': {
        const { login, abort } = urls(interaction.uid);
        const hint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : '';
        sendHtml(ctx, 200, loginPage({ action: login, abortAction: abort, clientName: await clientName(provider, interaction), login: hint }));
        return;
      }
      case 'consent':
        await autoConsent(provider, ctx, interaction);
        return;
      default:
        throw new errors.InvalidRequest(`unsupported prompt: ${interaction.prompt.name}`);
    }
  });

  router.post('/interaction/:uid/login', async (ctx) => {
    const interaction = await loadInteraction(provider, ctx);
    if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this request does not expect a login');
    const form = await readForm(ctx);
    const login = form.get('login') ?? '';
    const user = authenticate(login, form.get('password') ?? '');
    if (!user) {
      const { login: action, abort } = urls(interaction.uid);
      sendHtml(
        ctx,
        401,
        loginPage({
          action,
          abortAction: abort,
          clientName: await clientName(provider, interaction),
          login,
          error: 'Invalid username or password.',
        }),
      );
      return;
    }
    if (wantsMfa(interaction.params)) {
      // Second step: the password was right, now the one-time code.
      const { mfa, abort } = urls(interaction.uid);
      const code = codes.start(interaction.uid, user.sub);
      sendHtml(ctx, 200, codePage({ action: mfa, abortAction: abort, clientName: await clientName(provider, interaction), code }));
      return;
    }
    await finish(provider, ctx, { login: { accountId: user.sub, acr: PWD_ACR, amr: ['pwd'] } });
  });

  router.post('/interaction/:uid/mfa', async (ctx) => {
    const interaction = await loadInteraction(provider, ctx);
    if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this request does not expect a login');
    const form = await readForm(ctx);
    const result = codes.check(interaction.uid, form.get('code') ?? '');
    if (result.ok) {
      await finish(provider, ctx, { login: { accountId: result.accountId, acr: MFA_ACR, amr: ['pwd', 'otp'] } });
      return;
    }
    const code = codes.codeOf(interaction.uid);
    if (result.reason !== 'wrong' || code === undefined) {
      const why = result.reason === 'locked' ? 'Too many wrong codes.' : 'The one-time code expired or was never sent.';
      sendHtml(ctx, 401, errorPage({ error: 'Sign-in failed', description: `${why} Start again from the application.` }));
      return;
    }
    const { mfa, abort } = urls(interaction.uid);
    sendHtml(ctx, 401, codePage({ action: mfa, abortAction: abort, clientName: await clientName(provider, interaction), code, error: 'Wrong code: try again.' }));
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    await loadInteraction(provider, ctx);
    await finish(provider, ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  });

  return router.routes() as Koa.Middleware;
}
