/**
 * Small HTML pages for the demo provider. Every interpolated value goes
 * through `escapeHtml`; the only raw HTML is oidc-provider's own logout form.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

/** Headers for every page: no caching, no framing, no scripts. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

const STYLE = `
  :root { color-scheme: light; --accent: #4f46e5; --text: #1f2937; --muted: #6b7280; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center;
    font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text);
    background: linear-gradient(135deg, #eef2ff 0%, #f8fafc 60%, #ecfeff 100%); }
  main { width: min(380px, 92vw); background: #fff; border-radius: 14px; padding: 32px 28px;
    box-shadow: 0 10px 30px rgba(31, 41, 55, .12); }
  .brand { display: flex; align-items: center; gap: 8px; color: var(--accent); font-weight: 700;
    letter-spacing: .02em; margin-bottom: 18px; }
  h1 { font-size: 1.35rem; margin: 0 0 6px; }
  p { margin: 0 0 18px; color: var(--muted); }
  label { display: block; font-size: .85rem; font-weight: 600; margin: 14px 0 6px; }
  input[type=text], input[type=password] { width: 100%; padding: 10px 12px; font-size: 1rem;
    border: 1px solid #d1d5db; border-radius: 8px; }
  input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: transparent; }
  .actions { display: flex; gap: 10px; margin-top: 22px; }
  .actions.reverse { flex-direction: row-reverse; }
  button { flex: 1; padding: 10px 14px; font-size: 1rem; font-weight: 600; border-radius: 8px;
    border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer;
    text-align: center; text-decoration: none; }
  button.secondary { background: #fff; color: var(--accent); }
  .error { background: #fef2f2; color: #b91c1c; border: 1px solid #fecaca; border-radius: 8px;
    padding: 10px 12px; margin-bottom: 8px; font-size: .92rem; }
  .hint { margin-top: 20px; font-size: .8rem; color: var(--muted); }
  .demo-only { background: #fffbeb; color: #92400e; border: 1px solid #fde68a; border-radius: 8px;
    padding: 10px 12px; margin-bottom: 8px; font-size: .92rem; }
  .otp { font-size: 1.3rem; letter-spacing: .2em; font-weight: 700; }
  code { background: #f3f4f6; padding: 1px 5px; border-radius: 4px; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Portcullis demo</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<div class="brand">&#9873; Portcullis demo ID</div>
${body}
</main>
</body>
</html>`;
}

export interface LoginPageInput {
  action: string;
  /** POST target of the Cancel button (ends the request with access_denied). */
  abortAction?: string;
  clientName?: string;
  login?: string;
  error?: string;
}

export function loginPage({ action, abortAction, clientName, login, error }: LoginPageInput): string {
  const to = clientName ? ` to continue to <strong>${escapeHtml(clientName)}</strong>` : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p>Use your demo account${to}.</p>
${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
  <label for="login">Username</label>
  <input type="text" id="login" name="login" value="${escapeHtml(login ?? '')}" required autofocus autocapitalize="none" spellcheck="false">
  <label for="password">Password</label>
  <input type="password" id="password" name="password" required>
  <div class="actions reverse">
    <button type="submit">Sign in</button>
    ${abortAction ? `<button type="submit" class="secondary" formaction="${escapeHtml(abortAction)}" formnovalidate>Cancel</button>` : ''}
  </div>
</form>
<p class="hint">Demo accounts: <code>alice</code> / <code>alice</code> and <code>bob</code> / <code>bob</code>.</p>`,
  );
}

export interface CodePageInput {
  /** POST target of the code form (the first form of the page, as the test helpers expect). */
  action: string;
  abortAction?: string;
  clientName?: string;
  /** The one-time code, shown on the page because this is a demo. */
  code: string;
  error?: string;
}

/** The second step of an MFA login: the one-time code, displayed on the page itself. */
export function codePage({ action, abortAction, clientName, code, error }: CodePageInput): string {
  const to = clientName ? ` to continue to <strong>${escapeHtml(clientName)}</strong>` : '';
  return page(
    'Confirm it is you',
    `<h1>Confirm it is you</h1>
<p>Enter your one-time code${to}.</p>
<div class="demo-only" role="note"><strong>Demo only: a real provider would send this code to your phone.</strong><br>
Your code: <code class="otp" id="demo-code" data-code="${escapeHtml(code)}">${escapeHtml(code)}</code></div>
${error ? `<div class="error" role="alert">${escapeHtml(error)}</div>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="off">
  <label for="code">One-time code</label>
  <input type="text" id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required autofocus autocomplete="one-time-code">
  <div class="actions reverse">
    <button type="submit">Verify</button>
    ${abortAction ? `<button type="submit" class="secondary" formaction="${escapeHtml(abortAction)}" formnovalidate>Cancel</button>` : ''}
  </div>
</form>`,
  );
}

/**
 * `form` is oidc-provider's logout form (its hidden `xsrf` input included);
 * the buttons submit it through their `form` attribute.
 */
export function logoutPage({ form, clientName }: { form: string; clientName?: string }): string {
  const from = clientName ? ` from <strong>${escapeHtml(clientName)}</strong>` : '';
  return page(
    'Sign out',
    `<h1>Sign out?</h1>
<p>Do you want to sign out${from} and end your session at the demo ID?</p>
${form}
<div class="actions">
  <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
  <button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>
</div>`,
  );
}

export function loggedOutPage({ clientName }: { clientName?: string }): string {
  const from = clientName ? ` of <strong>${escapeHtml(clientName)}</strong>` : '';
  return page('Signed out', `<h1>You are signed out</h1><p>You have been signed out${from}. You can close this window.</p>`);
}

export function errorPage({ error, description }: { error: string; description?: string }): string {
  return page(
    'Something went wrong',
    `<h1>Something went wrong</h1>
<div class="error" role="alert"><strong>${escapeHtml(error)}</strong>${description ? `<br>${escapeHtml(description)}` : ''}</div>
<p>Go back to the application and try again.</p>`,
  );
}
