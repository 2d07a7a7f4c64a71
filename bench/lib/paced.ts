/**
 * Open-loop load at a fixed rate: requests leave on schedule (every
 * 1/rate s, whatever the answers do), over a keep-alive agent, and each
 * one's latency runs from its scheduled start to the end of its response.
 * (autocannon's overallRate sends each second's quota in a burst, which
 * queues like a saturating run.)
 */
import http from 'node:http';
import { percentileSorted, round, Samples } from './stats.ts';

export interface PacedResult {
  rate: number;
  achievedRps: number;
  sent: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

export function paced(options: { url: string; rate: number; durationS: number; headers?: Record<string, string>; maxSockets?: number }): Promise<PacedResult> {
  const url = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 50 });
  const samples = new Samples();
  let sent = 0;
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  const interval = 1000 / options.rate;
  const started = performance.now();
  const total = Math.round(options.rate * options.durationS);
  return new Promise((resolve) => {
    const finish = () => {
      if (done < total) return;
      agent.destroy();
      const sorted = samples.sorted();
      const elapsed = (performance.now() - started) / 1000;
      resolve({
        rate: options.rate,
        achievedRps: round(done / elapsed, 1),
        sent,
        p50: round(percentileSorted(sorted, 50), 3),
        p90: round(percentileSorted(sorted, 90), 3),
        p99: round(percentileSorted(sorted, 99), 3),
        max: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
        non2xx,
        errors,
      });
    };
    const fire = (scheduled: number) => {
      sent++;
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'GET', headers: options.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode! >= 200 && res.statusCode! < 300) samples.push(performance.now() - scheduled);
          else non2xx++;
          done++;
          finish();
        });
      });
      req.on('error', () => {
        errors++;
        done++;
        finish();
      });
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      // Catch up with the schedule (timers fire late on a busy machine); each request keeps its scheduled time.
      while (sent < total && started + sent * interval <= now) fire(started + sent * interval);
      if (sent < total) setTimeout(tick, Math.max(0, started + sent * interval - performance.now()));
    };
    tick();
  });
}
