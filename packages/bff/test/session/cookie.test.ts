/** The session cookie value: a random id and its HMAC; anything else is no session. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateId, signId, verifySignedId } from '../../src/session/cookie.ts';

const KEY = 'a'.repeat(32);
const OLD = 'b'.repeat(32);

describe('generateId', () => {
  it('is 256 random bits in base64url (43 characters), never repeated', () => {
    const ids = new Set(Array.from({ length: 1000 }, generateId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('signId / verifySignedId', () => {
  it('round-trips: id.mac, HMAC-SHA256 under the first key', () => {
    const id = generateId();
    const value = signId(id, [KEY, OLD]);
    expect(value).toBe(`${id}.${createHmac('sha256', KEY).update(id).digest('base64url')}`);
    expect(verifySignedId(value, [KEY])).toBe(id);
  });

  it('accepts a value signed with an older key still in the list (rotation), not once it is removed', () => {
    const id = generateId();
    const signedWithOld = signId(id, [OLD]);
    expect(verifySignedId(signedWithOld, [KEY, OLD])).toBe(id);
    expect(verifySignedId(signedWithOld, [KEY])).toBeUndefined();
    // New values are signed with the first key.
    expect(signId(id, [KEY, OLD])).not.toBe(signedWithOld);
  });

  it('refuses tampered, unsigned, foreign and malformed values', () => {
    const id = generateId();
    const value = signId(id, [KEY]);
    const [, mac] = value.split('.') as [string, string];
    const flip = (s: string, i: number) => `${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    const other = generateId();
    const refused = [
      undefined,
      '',
      id,
      `${id}.`,
      `.${mac}`,
      `${id}.${flip(mac, 0)}`,
      `${id}.${flip(mac, mac.length - 1)}`,
      `${id}.${mac.slice(0, -1)}`,
      `${id}.${mac}A`,
      `${flip(id, 5)}.${mac}`,
      `${other}.${mac}`,
      `${id}.${createHmac('sha256', 'c'.repeat(32)).update(id).digest('base64url')}`,
      `${id}.${createHmac('sha256', KEY).update(id).digest('hex')}`,
      `${id}.${createHmac('sha1', KEY).update(id).digest('base64url')}`,
      `${value}.x`,
      `${id.slice(0, 42)}.${createHmac('sha256', KEY).update(id.slice(0, 42)).digest('base64url')}`, // id too short
      `${id}A.${createHmac('sha256', KEY).update(`${id}A`).digest('base64url')}`, // id too long
      `${'*'.repeat(43)}.${createHmac('sha256', KEY).update('*'.repeat(43)).digest('base64url')}`, // not base64url
      `${value}${' '.repeat(300)}`,
      'x'.repeat(5000),
    ];
    for (const candidate of refused) expect(verifySignedId(candidate, [KEY]), String(candidate).slice(0, 100)).toBeUndefined();
    expect(verifySignedId(value, [KEY])).toBe(id);
  });
});
