/**
 * One autocannon run (programmatic API) with sub-millisecond latencies:
 * autocannon's own histogram keeps whole milliseconds, so every response
 * time (a float, ms) is also collected from its `response` event.
 */
import autocannon from 'autocannon';
import { percentileSorted, round, Samples } from './stats.ts';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  /** Mean requests per second over the run (autocannon's per-second samples). */
  rps: number;
  requests: number;
  /** Latency percentiles, milliseconds (µs resolution). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
}

export function load(options: LoadOptions): Promise<LoadResult> {
  const samples = new Samples();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        pipelining: 1,
        timeout: 10,
        headers: options.headers ?? {},
      },
      (err, result) => {
        if (err) return reject(err);
        const sorted = samples.sorted();
        let sum = 0;
        for (const v of sorted) sum += v;
        resolve({
          rps: round(result.requests.average, 1),
          requests: result.requests.total,
          p50: round(percentileSorted(sorted, 50), 3),
          p90: round(percentileSorted(sorted, 90), 3),
          p99: round(percentileSorted(sorted, 99), 3),
          max: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
          mean: round(sum / (sorted.length || 1), 3),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationS: result.duration,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  });
}
