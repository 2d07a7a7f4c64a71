/**
 * `portcullis check`: validates a configuration the way `serve` would and
 * reaches what it depends on (the provider's discovery document, the session
 * store), without listening. Returns the lines to print and the verdict.
 */
import { type ServerConfig, validateBffOptions } from './config.ts';
import { providerCheck, Readiness } from './health.ts';
import { openStore } from './store.ts';

/** The outcome of a check. */
export interface CheckOutcome {
  ok: boolean;
  lines: string[];
}

/** Runs the checks on a loaded config. Config errors are thrown (ConfigError). */
export async function checkConfig(config: ServerConfig, options: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<CheckOutcome> {
  await validateBffOptions(config);
  const store = await openStore(config.store);
  try {
    const readiness = new Readiness([providerCheck(config.bff.issuer, options.fetch), store.check], { timeoutMs: options.timeoutMs ?? 5000, cacheMs: 0 });
    const report = await readiness.run();
    const lines: string[] = [];
    const row = (label: string, text: string) => lines.push(`  ${label.padEnd(10)} ${text}`);
    row('config', config.file ?? '(environment only)');
    row('baseUrl', config.bff.baseUrl);
    row('clientId', config.bff.clientId);
    for (const [name, result] of Object.entries(report.checks)) {
      row(name, result.status === 'ok' ? `${result.target}: OK (${result.durationMs} ms)` : `${result.target}: FAILED: ${result.error}`);
    }
    if (config.store.type === 'memory') row('', 'memory store: run a single instance (use redis for more)');
    const apis = config.bff.apis ?? [];
    row('apis', apis.length ? apis.map((a) => `${a.path} -> ${a.target}`).join(', ') : 'none');
    row('static', config.static ? config.static.dir : 'none');
    row('listen', `${config.host ?? '*'}:${config.port}${config.trustProxy ? ' (trustProxy)' : ''}`);
    for (const warning of config.warnings) row('warning', warning);
    const ok = report.status === 'ok';
    lines.unshift(ok ? 'portcullis check: OK' : `portcullis check: FAILED (${Object.entries(report.checks).filter(([, r]) => r.status !== 'ok').map(([n]) => n).join(', ')})`);
    return { ok, lines };
  } finally {
    await store.close();
  }
}
