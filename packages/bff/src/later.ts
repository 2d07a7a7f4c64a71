/**
 * What a synchronous read returns when the answer needs an await (a store
 * round trip, a decryption, a token refresh): the caller then takes its
 * asynchronous path. Proxied calls whose session, token and idle deadline are
 * all at hand run without a single promise (proxy/api-proxy.ts).
 */
export const LATER = Symbol('portcullis.later');

/** {@link LATER}'s type. */
export type Later = typeof LATER;
