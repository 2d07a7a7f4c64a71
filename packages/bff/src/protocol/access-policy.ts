/**
 * Who may log in: the declarative `access` policy (allowed e-mail domains,
 * required claims), then the application's `hooks.onLogin`. Both see the
 * verified ID token's claims, before any session exists; a refusal is a 403
 * `access_denied` with a readable page, and nothing is stored.
 */
import { AccessDenied } from '../errors.ts';
import type { AccessPolicy, BffHooks, LoginEvent } from '../options.ts';

/** Throws {@link AccessDenied} unless `event` passes `policy` and `hooks.onLogin`. */
export async function checkAccess(event: LoginEvent, policy: AccessPolicy, hooks: BffHooks): Promise<void> {
  const { claims } = event;
  if (policy.allowedEmailDomains) {
    const email = typeof claims['email'] === 'string' ? claims['email'].toLowerCase() : '';
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const allowed = email.includes('@') && policy.allowedEmailDomains.some((d) => d.toLowerCase() === domain);
    if (!allowed || claims['email_verified'] === false) throw new AccessDenied('your e-mail address is not one this application accepts.');
  }
  for (const [name, wanted] of Object.entries(policy.requiredClaims ?? {})) {
    const accepted = Array.isArray(wanted) ? wanted : [wanted];
    const actual = claims[name];
    const values = Array.isArray(actual) ? actual : [actual];
    if (!values.some((v) => accepted.includes(v as string | number | boolean))) throw new AccessDenied(`your account lacks what this application requires (${name}).`);
  }
  const verdict = await hooks.onLogin?.(event);
  if (verdict && typeof verdict === 'object' && 'deny' in verdict) throw new AccessDenied(String(verdict.deny).slice(0, 200));
}
