/**
 * Byte ranges (RFC 9110 §14) of static files: one range per request. A
 * request for several ranges gets the whole file (200), which the RFC allows
 * and which spares a multipart/byteranges body nobody needs from an SPA.
 */

/** What a `Range` header asks of a file of `size` bytes. */
export type RangeRequest =
  /** No usable range (absent, malformed, several ranges, not bytes): send the whole file. */
  | { kind: 'full' }
  /** Bytes `start` to `end`, both included. */
  | { kind: 'partial'; start: number; end: number }
  /** No byte of the range exists: 416. */
  | { kind: 'unsatisfiable' };

/** Parses `Range: bytes=a-b`, `bytes=a-` and `bytes=-n` against a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix: the last n bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' }; // invalid: ignored, as the RFC says
  if (start >= size) return { kind: 'unsatisfiable' };
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'full' };
  return { kind: 'partial', start, end };
}

/**
 * Whether an `If-Range` precondition lets the range apply. Our ETags are weak
 * and a weak tag never matches in If-Range (RFC 9110 §13.1.5): only the exact
 * Last-Modified date does. Without If-Range the range applies.
 */
export function ifRangeHolds(ifRange: string | undefined, lastModified: string): boolean {
  if (!ifRange) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return false;
  return value === lastModified;
}
