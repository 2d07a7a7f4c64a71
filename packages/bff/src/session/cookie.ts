/**
 * The session cookie's value: an opaque random id with an HMAC, so a forged
 * or tampered cookie is rejected before any store lookup. Values that
 * verified once are remembered (bounded), so a busy session costs one HMAC,
 * not one per request.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new session id: 256 random bits, base64url. */
export function generateId(): string {
  return randomBytes(32).toString('base64url');
}

const mac = (id: string, key: string): string => createHmac('sha256', key).update(id).digest('base64url');

/** `id.mac`, signed with the first key. */
export function signId(id: string, keys: readonly string[]): string {
  return `${id}.${mac(id, keys[0]!)}`;
}

const ID = /^[A-Za-z0-9_-]{43}$/;
const verified = new Map<string, { keys: readonly string[]; id: string }>();

/** The id inside a signed cookie value when its MAC verifies under any key, else `undefined`. */
export function verifySignedId(value: string | undefined, keys: readonly string[]): string | undefined {
  if (!value || value.length > 200) return undefined;
  const hit = verified.get(value);
  if (hit && hit.keys === keys) return hit.id;
  const dot = value.indexOf('.');
  if (dot < 0) return undefined;
  const id = value.slice(0, dot);
  if (!ID.test(id)) return undefined;
  const given = Buffer.from(value.slice(dot + 1));
  for (const key of keys) {
    const expected = Buffer.from(mac(id, key));
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      verified.set(value, { keys, id });
      if (verified.size > 10_000) verified.delete(verified.keys().next().value as string);
      return id;
    }
  }
  return undefined;
}

/**
 * The value of cookie `name` in a `Cookie` request header, read as Koa's `ctx.cookies.get(name)`
 * (the `cookies` package) reads it: the first `name=` pair, surrounding quotes removed, not decoded.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let pattern = patterns.get(name);
  if (!pattern) patterns.set(name, (pattern = new RegExp(`(?:^|;) *${name.replace(/[$()*+.?[\\\]^{|}-]/g, '\\$&')}=([^;]*)`)));
  const value = pattern.exec(header)?.[1];
  return value !== undefined && value[0] === '"' ? value.slice(1, -1) : value;
}
const patterns = new Map<string, RegExp>();

/** The attributes of the session cookie (`options.session`). */
export interface SessionCookieAttributes {
  secure: boolean;
  sameSite: 'strict' | 'lax';
}

/**
 * A `Set-Cookie` value for the session cookie, byte for byte what koa-session / `ctx.cookies.set`
 * write with the BFF's cookie options (`path=/`, `httpOnly`, `secure`, `sameSite`), for code that
 * answers without a Koa context: `maxAgeMs` sets the expiry; without it the cookie is cleared.
 */
export function sessionCookieHeader(name: string, value: string, attributes: SessionCookieAttributes, maxAgeMs?: number): string {
  const expires = maxAgeMs === undefined || !value ? new Date(0) : new Date(Date.now() + maxAgeMs);
  return `${name}=${value}; path=/; expires=${expires.toUTCString()}; samesite=${attributes.sameSite}${attributes.secure ? '; secure' : ''}; httponly`;
}
