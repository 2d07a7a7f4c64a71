/**
 * The demo's second factor: a one-time code shown on the page itself (a real
 * provider would send it to the user's phone). It is asked for only when the
 * authorization request wants the `urn:portcullis:mfa` acr, through
 * `acr_values` or the `claims` parameter; every other login stays a plain
 * password login (`urn:portcullis:pwd`), so the tests that drive the login
 * form see no change.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

/** A password login. */
export const PWD_ACR = 'urn:portcullis:pwd';
/** A password plus the one-time code. */
export const MFA_ACR = 'urn:portcullis:mfa';
/** Published as `acr_values_supported`, weakest first. */
export const ACR_VALUES = [PWD_ACR, MFA_ACR];

const CODE_TTL_MS = 5 * 60_000;
const MAX_ATTEMPTS = 5;
const MAX_PENDING = 1000;

/** Whether the request's `claims` parameter asks for the MFA acr (value or values, ID token or userinfo). */
function claimsAskForMfa(claims: unknown): boolean {
  let parsed: unknown = claims;
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      return false;
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  return ['id_token', 'userinfo'].some((member) => {
    const acr = (parsed as Record<string, { acr?: { value?: unknown; values?: unknown } } | undefined>)[member]?.acr;
    return acr?.value === MFA_ACR || (Array.isArray(acr?.values) && acr.values.includes(MFA_ACR));
  });
}

/** Whether the authorization request (its parameters) asks for the MFA acr. */
export function wantsMfa(params: Readonly<Record<string, unknown>>): boolean {
  const acrValues = typeof params['acr_values'] === 'string' ? params['acr_values'].split(' ') : [];
  return acrValues.includes(MFA_ACR) || claimsAskForMfa(params['claims']);
}

/**
 * oidc-provider's default interaction policy plus one login check: a request
 * for the MFA acr from a browser whose session was not signed in with MFA
 * shows the login again (step-up), instead of reusing the session.
 */
export function mfaAwarePolicy(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('mfa_required', 'multi-factor authentication is required', (ctx: KoaContextWithOIDC) => {
      const { params, session } = ctx.oidc;
      if (params && wantsMfa(params) && session?.acr !== MFA_ACR) return interactionPolicy.Check.REQUEST_PROMPT;
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

interface Pending {
  accountId: string;
  code: string;
  attempts: number;
  expiresAt: number;
}

export type CodeCheck = { ok: true; accountId: string } | { ok: false; reason: 'wrong' | 'expired' | 'locked' };

/**
 * Codes waiting to be typed, per interaction (the interaction itself is bound
 * to the browser by oidc-provider's `_interaction` cookie). In memory: the
 * demo provider's state is in memory anyway.
 */
export class PendingCodes {
  readonly #pending = new Map<string, Pending>();

  /** Starts the second step for `uid` after a correct password; returns the code to show. */
  start(uid: string, accountId: string): string {
    const now = Date.now();
    for (const [key, entry] of this.#pending) if (entry.expiresAt <= now) this.#pending.delete(key);
    while (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    this.#pending.set(uid, { accountId, code, attempts: 0, expiresAt: now + CODE_TTL_MS });
    return code;
  }

  /** The code still expected for `uid` (to show it again after a wrong one). */
  codeOf(uid: string): string | undefined {
    const entry = this.#pending.get(uid);
    return entry && entry.expiresAt > Date.now() ? entry.code : undefined;
  }

  /** Checks a typed code; a correct one, an expired one or too many wrong ones end the step. */
  check(uid: string, typed: string): CodeCheck {
    const entry = this.#pending.get(uid);
    if (!entry || entry.expiresAt <= Date.now()) {
      this.#pending.delete(uid);
      return { ok: false, reason: 'expired' };
    }
    const given = Buffer.from(typed.replace(/\s+/g, ''));
    const expected = Buffer.from(entry.code);
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      this.#pending.delete(uid);
      return { ok: true, accountId: entry.accountId };
    }
    entry.attempts += 1;
    if (entry.attempts >= MAX_ATTEMPTS) {
      this.#pending.delete(uid);
      return { ok: false, reason: 'locked' };
    }
    return { ok: false, reason: 'wrong' };
  }
}
