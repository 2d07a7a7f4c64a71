/**
 * The login binding: a random value in a short-lived `HttpOnly` cookie whose
 * hash is stored with the login state, so that only the browser that started
 * a login can finish it (no login CSRF with a forwarded callback URL).
 */
import { createHash } from 'node:crypto';

/** Name of the login-binding cookie for a session cookie name. */
export const bindingCookieName = (sessionCookie: string): string => `${sessionCookie}-login`;

/** SHA-256 of a binding value, as stored in the login state. */
export const bindingHash = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** The shape of a binding value (256 random bits, base64url). */
export const BINDING = /^[A-Za-z0-9_-]{43}$/;
