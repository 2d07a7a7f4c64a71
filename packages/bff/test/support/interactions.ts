/**
 * A tiny scripted login for the test provider, instead of oidc-provider's
 * devInteractions (which accept any password and cancel with a GET link):
 *
 * - `GET /interaction/:uid` shows a form (`login`, `password`, and a Cancel
 *   button posting to `…/abort` through `formaction`), or, for the consent
 *   prompt, grants what is missing and goes on (a first-party client);
 * - `POST …/login` accepts a known user whose password is the login;
 * - `POST …/abort` ends the request with `access_denied`.
 */
import type Provider from 'oidc-provider';
import { errors, type InteractionResults, type KoaContextWithOIDC } from 'oidc-provider';

/** The users the scripted login knows (password = login) and the claims the provider holds. */
export const USERS = {
  alice: { sub: 'alice', name: 'Alice Anderson', email: 'alice@example.com', email_verified: true, preferred_username: 'alice' },
  bob: { sub: 'bob', name: 'Bob Brown', email: 'bob@example.com', email_verified: true, preferred_username: 'bob' },
} as const;

/** A small HTML page as the provider's answer (logout confirmation, errors). */
export function page(ctx: KoaContextWithOIDC, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = `<!doctype html><html><body>${body}</body></html>`;
}

type Next = () => Promise<unknown>;
type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

const ROUTE = /^\/interaction\/([^/]+)(?:\/(login|abort))?$/;

const loginForm = (uid: string, error = '') =>
  `${error ? `<p>${error}</p>` : ''}<form method="post" action="/interaction/${uid}/login">` +
  '<input name="login" autocomplete="username"><input name="password" type="password" autocomplete="current-password">' +
  `<button type="submit">Sign in</button><button type="submit" formaction="/interaction/${uid}/abort" formnovalidate>Cancel</button></form>`;

async function readForm(ctx: KoaContextWithOIDC): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

async function finish(provider: Provider, ctx: KoaContextWithOIDC, result: InteractionResults): Promise<void> {
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
}

/** Grants the scopes, claims and API scopes the request is missing (no consent screen). */
async function consent(provider: Provider, ctx: KoaContextWithOIDC, interaction: Interaction): Promise<void> {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
  const accountId = interaction.session?.accountId;
  if (!accountId) throw new errors.SessionNotFound('no signed-in user');
  const grant = (interaction.grantId && (await provider.Grant.find(interaction.grantId))) || new provider.Grant({ accountId, clientId: String(interaction.params['client_id']) });
  if (details.missingOIDCScope?.length) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims?.length) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
  await finish(provider, ctx, { consent: { grantId: await grant.save() } });
}

/** Koa middleware serving the interaction routes of `provider`. */
export function scriptedInteractions(provider: Provider) {
  return async function interactions(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    const match = ROUTE.exec(ctx.path);
    if (!match) {
      await next();
      return;
    }
    const [, uid, action] = match;
    // The `_interaction` cookie binds the interaction to this browser: another tab cannot finish it.
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== uid) throw new errors.SessionNotFound('interaction of another browser');
    if (ctx.method === 'GET' && !action) {
      if (interaction.prompt.name === 'consent') return consent(provider, ctx, interaction);
      return page(ctx, 200, loginForm(interaction.uid));
    }
    if (ctx.method !== 'POST') return page(ctx, 405, 'method not allowed');
    if (action === 'abort') return finish(provider, ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' });
    const form = await readForm(ctx);
    const login = form.get('login') ?? '';
    if (!Object.hasOwn(USERS, login) || form.get('password') !== login) return page(ctx, 401, loginForm(interaction.uid, 'Invalid login or password.'));
    await finish(provider, ctx, { login: { accountId: login } });
  };
}
