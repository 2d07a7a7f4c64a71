/**
 * The cookie jar and manual-redirect "browser" live with the BFF package's
 * test support now (its endpoint tests use them without reaching out of the
 * package); this path stays for the root test suites that import it.
 */
export * from '../../packages/bff/test/support/cookie-jar.ts';
