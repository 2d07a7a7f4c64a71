/**
 * `portcullis check`: validates a configuration the way `serve` would and
 * reaches what it depends on (the provider's discovery document, the client
 * credentials through a token request that cannot succeed, the session store
 * through a write/read/delete round trip), without listening. Returns the
 * lines to print and the verdict. Redis settings that lose sessions (no
 * persistence, an eviction policy) and provider features that are missing
 * (revocation, end session, refresh tokens) are warnings or notes: the exit
 * status stays. No line ever contains the client secret.
 */
import { checkClient } from './check-client.ts';
import { type ServerConfig, validateBffOptions } from './config.ts';
import { providerCheck, Readiness } from './health.ts';
import { openStore, type StoreInspection } from './store.ts';

/** The outcome of a check. */
export interface CheckOutcome {
  ok: boolean;
  lines: string[];
}

/** Runs the checks on a loaded config. Config errors are thrown (ConfigError). */
export async function checkConfig(config: ServerConfig, options: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<CheckOutcome> {
  const resolved = await validateBffOptions(config);
  const store = await openStore(config.store);
  try {
    // Here the provider counts: an operator running `check` wants to know it is unreachable.
    const readiness = new Readiness([providerCheck(config.bff.issuer, options.fetch), store.check], { timeoutMs: options.timeoutMs ?? 5000, cacheMs: 0 });
    const report = await readiness.run();
    const lines: string[] = [];
    const row = (label: string, text: string) => lines.push(`  ${label.padEnd(10)} ${text}`);
    row('config', config.file ?? '(environment only)');
    row('baseUrl', config.bff.baseUrl);
    row('clientId', config.bff.clientId);
    const warnings = [...config.warnings];
    const failed = Object.entries(report.checks)
      .filter(([, r]) => r.status !== 'ok')
      .map(([n]) => n);
    for (const [name, result] of Object.entries(report.checks)) {
      row(name, result.status === 'ok' ? `${result.target}: OK (${result.durationMs} ms)` : `${result.target}: FAILED: ${result.error}`);
      if (name !== 'provider' || result.status !== 'ok') continue;
      const client = await checkClient(resolved, { timeoutMs: options.timeoutMs ?? 5000, ...(options.fetch ? { fetch: options.fetch } : {}) });
      for (const [label, text] of client.rows) row(label, text);
      warnings.push(...client.warnings);
      if (!client.ok) failed.push('client');
    }
    if (config.store.type === 'memory') row('', 'memory store: run a single instance (use redis for more)');
    if (store.inspect && report.checks['store']?.status === 'ok') {
      try {
        warnings.push(...storeWarnings(await store.inspect()));
      } catch (err) {
        warnings.push(`could not read the Redis settings (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): check persistence and maxmemory-policy yourself`);
      }
    }
    const apis = config.bff.apis ?? [];
    row('apis', apis.length ? apis.map((a) => `${a.path} -> ${a.target}`).join(', ') : 'none');
    row('static', config.static ? config.static.dir : 'none');
    const proxies = config.trustProxy ? ` (trustProxy: ${config.trustProxy} ${config.trustProxy === 1 ? 'proxy' : 'proxies'})` : '';
    row('listen', `${config.host ?? '*'}:${config.port}${proxies}`);
    row(
      'metrics',
      config.metrics
        ? `http://${config.metrics.host.includes(':') ? `[${config.metrics.host}]` : config.metrics.host}:${config.metrics.port}/metrics (its own listener, not the public port)`
        : 'off (set metrics.port or PORTCULLIS_METRICS_PORT)',
    );
    row('readyz', config.readyRequiresProvider ? 'fails while the provider fails (readyRequiresProvider)' : 'store only; the provider is reported, not required');
    for (const warning of warnings) row('warning', warning);
    const ok = failed.length === 0;
    lines.unshift(ok ? 'portcullis check: OK' : `portcullis check: FAILED (${failed.join(', ')})`);
    // Whatever a provider echoes, the secret never reaches the terminal.
    const secret = resolved.clientSecret ?? '';
    return { ok, lines: secret.length >= 4 ? lines.map((line) => line.split(secret).join('***')) : lines };
  } finally {
    await store.close();
  }
}

/**
 * Redis settings under which users get logged out. Every policy but
 * `noeviction` may evict sessions: `volatile-*` ones too, since every
 * session key carries a TTL. Under `noeviction` a full Redis refuses writes
 * (logins fail with 503) instead of silently dropping sessions.
 */
export function storeWarnings(info: StoreInspection): string[] {
  const warnings: string[] = [];
  if (!info.persistence.aof && !info.persistence.rdb) {
    warnings.push('redis has neither AOF nor RDB persistence: a Redis restart logs everyone out (set appendonly yes, or save snapshots)');
  }
  if (info.maxmemoryPolicy !== 'noeviction') {
    warnings.push(
      `redis maxmemory-policy is ${info.maxmemoryPolicy}: when memory runs out Redis evicts keys, sessions included (volatile-* policies too: every session has a TTL), which logs users out; set maxmemory-policy noeviction`,
    );
  }
  return warnings;
}
