/**
 * The demo OpenID provider of one BFF target, in a process of its own: a BFF
 * in production does not host its provider, and measured in one process with
 * it, the BFF paid for the provider's heap and for Node internals made
 * polymorphic by the provider's traffic (the bare proxy with the provider
 * started in its process: 74 -> 80 µs CPU per call, bench/ab.ts, 2026-12-06).
 *
 * Environment: BENCH_UPSTREAM (the API audience), BENCH_PROVIDER_CLIENTS
 * (JSON: the `clients` of startDemoProvider).
 */
import { startDemoProvider, type DemoClientConfig } from '@portcullis/demo/provider';
import { failTarget, serveTarget } from '../lib/child.ts';

async function main(): Promise<void> {
  const clients = JSON.parse(process.env['BENCH_PROVIDER_CLIENTS'] ?? '[]') as DemoClientConfig[];
  const provider = await startDemoProvider({ host: '127.0.0.1', apiAudience: process.env['BENCH_UPSTREAM'] ?? 'http://127.0.0.1', accessTokenTtl: 3600, clients });
  serveTarget(provider.issuer, () => provider.stop());
}

main().catch(failTarget);
