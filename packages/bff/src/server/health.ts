/**
 * Health endpoints and the checks behind them.
 *
 * - `GET /healthz`: liveness. 200 `{"status":"ok"}` while the process runs.
 * - `GET /readyz`: readiness of THIS instance: 200 when its session store
 *   completes a write/read/delete round trip; 503 with the failed checks named
 *   otherwise, and while shutting down. The provider's discovery document is
 *   checked and reported too, but by default does not count: a provider
 *   outage is the same for every instance, and taking them all out of the
 *   load balancer would only turn it into a total outage (sessions that need
 *   no refresh keep working meanwhile).
 *
 * Each check has a short timeout; results are reused for a second and
 * concurrent probes share one run, so a flood of `/readyz` requests cannot
 * turn into a flood of requests to the provider.
 */
import type Koa from 'koa';

/** One readiness check: resolves when healthy, throws an error saying what is wrong. */
export interface ReadinessCheck {
  /** Short name, e.g. `provider`, `store`. */
  name: string;
  /** What is checked, for summaries (e.g. the issuer URL). Never a secret. */
  target: string;
  /** A failure makes the instance unready. Default true; false: reported only. */
  required?: boolean;
  run(signal: AbortSignal): Promise<void>;
}

/** The result of one check. */
export interface CheckResult {
  status: 'ok' | 'fail';
  target: string;
  /** Whether a failure of this check makes the instance unready. */
  required: boolean;
  error?: string;
  durationMs: number;
}

/** The result of all checks. */
export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, CheckResult>;
  reason?: string;
}

/**
 * Checks that the provider's discovery document is reachable and names `issuer`.
 * @param options.required whether a failure makes the instance unready (default true; the server passes `readyRequiresProvider`)
 */
export function providerCheck(issuer: string, fetchImpl: typeof fetch = fetch, options: { required?: boolean } = {}): ReadinessCheck {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  return {
    name: 'provider',
    target: issuer,
    required: options.required ?? true,
    async run(signal) {
      let response: Response;
      try {
        response = await fetchImpl(url, { signal, headers: { accept: 'application/json' }, redirect: 'error' });
      } catch (err) {
        throw new Error(`discovery document ${url} unreachable: ${networkReason(err)}`);
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`discovery document ${url} answered HTTP ${response.status}`);
      }
      let metadata: { issuer?: unknown };
      try {
        metadata = (await response.json()) as { issuer?: unknown };
      } catch {
        throw new Error(`discovery document ${url} is not JSON`);
      }
      if (metadata.issuer !== issuer) {
        throw new Error(`discovery document ${url} names issuer ${JSON.stringify(metadata.issuer)}, not the configured "${issuer}"`);
      }
    },
  };
}

/** The reason of a fetch failure in a few words (`ECONNREFUSED`, `timed out`…). */
export function networkReason(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'no answer in time';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Called when a check's status changes (and on its first failure). */
export type CheckChangeListener = (name: string, result: CheckResult) => void;

/** Runs the checks with a timeout each; caches the report for `cacheMs`. */
export class Readiness {
  #checks: ReadinessCheck[];
  #timeoutMs: number;
  #cacheMs: number;
  #onChange: CheckChangeListener | undefined;
  #last = new Map<string, CheckResult['status']>();
  #cached: { at: number; report: ReadinessReport } | undefined;
  #running: Promise<ReadinessReport> | undefined;
  #stopping = false;

  constructor(checks: ReadinessCheck[], options: { timeoutMs?: number; cacheMs?: number; onChange?: CheckChangeListener } = {}) {
    this.#checks = checks;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#cacheMs = options.cacheMs ?? 1000;
    this.#onChange = options.onChange;
  }

  /** From now on `/readyz` answers 503 (the load balancer stops sending traffic). */
  markStopping(): void {
    this.#stopping = true;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** The current report (cached for a moment). */
  async report(): Promise<ReadinessReport> {
    if (this.#stopping) return { status: 'unavailable', reason: 'shutting down', checks: {} };
    if (this.#cached && performance.now() - this.#cached.at < this.#cacheMs) return this.#cached.report;
    this.#running ??= this.run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs every check now, in parallel. */
  async run(): Promise<ReadinessReport> {
    const entries = await Promise.all(this.#checks.map(async (check) => [check.name, await runCheck(check, this.#timeoutMs)] as const));
    const checks = Object.fromEntries(entries);
    for (const [name, result] of entries) {
      // Healthy at start-up is not news; a first failure and every change are.
      if (result.status !== (this.#last.get(name) ?? 'ok')) this.#onChange?.(name, result);
      this.#last.set(name, result.status);
    }
    const report: ReadinessReport = { status: entries.every(([, r]) => r.status === 'ok' || !r.required) ? 'ok' : 'unavailable', checks };
    this.#cached = { at: performance.now(), report };
    return report;
  }
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const required = check.required ?? true;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check.run(controller.signal), timeout]);
    return { status: 'ok', target: check.target, required, durationMs: elapsed(started) };
  } catch (err) {
    return { status: 'fail', target: check.target, required, error: err instanceof Error ? err.message : String(err), durationMs: elapsed(started) };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round(performance.now() - started);

/** `/healthz` and `/readyz` (GET and HEAD; other methods 405). */
export function healthEndpoints(readiness: Readiness): Koa.Middleware {
  return async function health(ctx, next) {
    if (ctx.path !== '/healthz' && ctx.path !== '/readyz') return next();
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      ctx.body = { status: 'error', error: 'method_not_allowed' };
      return;
    }
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    const report = await readiness.report();
    ctx.status = report.status === 'ok' ? 200 : 503;
    ctx.body = report;
  };
}
