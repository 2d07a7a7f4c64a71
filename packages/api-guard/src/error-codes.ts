/**
 * The OAuth error codes this package answers with, on their own so that the
 * challenge formatter and the error classes both use them without importing
 * each other.
 */

/** The OAuth error codes this package responds with. */
export type ApiGuardErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | 'invalid_dpop_proof' | 'use_dpop_nonce' | 'temporarily_unavailable';
