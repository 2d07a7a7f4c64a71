/**
 * The browser tab the root suites drive (cookie jar shared across ports, the
 * provider's login form submitted for real) lives with the BFF package's test
 * support, which may not import root files; this path stays for the root
 * suites and the benchmarks that import it.
 */
export { BffClient, formAction } from '../../packages/bff/test/support/client.ts';
