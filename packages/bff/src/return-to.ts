/**
 * The returnTo rule: where the BFF may send the browser after login or
 * logout. Only a same-origin path qualifies; anything that a browser could
 * read as another origin is refused before any redirect (no open redirect).
 */
import { InvalidRequest } from './errors.ts';

/** Longest accepted returnTo. */
export const MAX_RETURN_TO_LENGTH = 2048;

/**
 * `value` when it is a safe same-origin path, else throws `InvalidRequest`.
 * Safe: starts with exactly one `/`; no `//`, no backslash, no scheme, no
 * control or space characters (browsers strip tabs and newlines, turning
 * `/\t/evil` into `//evil`), and the same holds once percent-decoded.
 */
export function checkReturnTo(value: string | undefined, origin: string, fallback = '/'): string {
  if (value === undefined || value === '') return fallback;
  if (!isSafePath(value, origin)) {
    throw new InvalidRequest('returnTo must be a same-origin path such as "/todos": starting with one "/", without "//", "\\", a scheme or control characters.');
  }
  return value;
}

function isSafePath(value: string, origin: string): boolean {
  if (value.length > MAX_RETURN_TO_LENGTH) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return false;
  }
  for (const [forbidden, candidate] of [
    [/[\u0000-\u0020\u007f-\u009f]/, value],
    // A raw space is not a URL character; an encoded one (`/search?q=a%20b`) is an ordinary path or query.
    [/[\u0000-\u001f\u007f-\u009f]/, decoded],
  ] as const) {
    if (!candidate.startsWith('/') || candidate.startsWith('//')) return false;
    if (candidate.includes('\\') || forbidden.test(candidate)) return false;
    if (/^\/[^/?#]*:/.test(candidate) && candidate.includes('//')) return false;
  }
  if (value.includes('//')) return false;
  try {
    return new URL(value, origin).origin === origin;
  } catch {
    return false;
  }
}
