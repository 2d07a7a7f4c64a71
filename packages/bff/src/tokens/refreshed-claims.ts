/**
 * The user's claims renewed after each refresh when `userinfo` is on (thin
 * ID tokens: Keycloak, Entra ID): the userinfo endpoint is asked with the
 * new access token, and its claims, under those of a refreshed ID token,
 * replace the session's shown claims (a compare-and-set update, like every
 * write). It runs in the background: the proxied call that refreshed does
 * not wait for it, and a failure keeps the claims the session had.
 */
import type { BffLogger } from '../logger.ts';
import { credentialOf } from '../protocol/access-credential.ts';
import { summarize } from '../middleware/error-handler.ts';
import type { ProviderClient } from '../protocol/provider-client.ts';
import { storeTtl } from '../session/record.ts';
import type { SessionRepository } from '../session/repository.ts';
import type { TokenSet } from '../session/user-session.ts';

/** What renewing claims needs. */
export interface RefreshedClaimsDeps {
  provider: Pick<ProviderClient, 'userinfo'>;
  repository: SessionRepository;
  logger: BffLogger;
  /** What `/bff/user` shows of a set of claims (the `user.claims` option). */
  shown(claims: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** A refresh as the token manager reports it. */
export interface RefreshedSession {
  id: string;
  sub: string;
  tokens: TokenSet;
  /** The refreshed ID token's verified claims, when the provider sent one. */
  idTokenClaims: Record<string, unknown> | undefined;
}

/** Renews the session's claims from userinfo; resolves once done or given up (never rejects). */
export async function renewClaims(deps: RefreshedClaimsDeps, refreshed: RefreshedSession): Promise<void> {
  const { id, sub, tokens, idTokenClaims } = refreshed;
  try {
    const userinfo = await deps.provider.userinfo(credentialOf(tokens), sub);
    if (!userinfo) return;
    const claims = deps.shown({ ...userinfo, ...idTokenClaims });
    await deps.repository.update(
      id,
      (record) => ({ ...record, auth: { ...record.auth, claims: { ...record.auth.claims, ...claims } } }),
      (record) => storeTtl(record),
    );
  } catch (err) {
    deps.logger.debug({ err: summarize(err) }, 'userinfo claims not renewed after a refresh: the session keeps its claims');
  }
}
