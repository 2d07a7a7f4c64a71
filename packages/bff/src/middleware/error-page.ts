/** A small readable HTML page for errors met during a full-page navigation (login, callback, logout). */

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page; `homePath` is where "Back" goes. Every value is escaped. */
export function errorPage(status: number, code: string, description: string, loginPath: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in problem</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2937}h1{font-size:1.4rem}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.2rem}a{color:#4f46e5}</style>
</head><body><h1>Sign-in problem</h1>
<p>${escape(description)}</p>
<p><small>Error <code>${escape(code)}</code> (HTTP ${status})</small></p>
<p><a href="/">Back to the application</a> · <a href="${escape(loginPath)}">Log in again</a></p>
</body></html>`;
}
