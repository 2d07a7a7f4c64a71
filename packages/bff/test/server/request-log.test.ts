/** withRequestLog: the access line, written through a shortcut past the scrub formatter, is as safe as any other line. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createServerLogger, scrub } from '../../src/server/logger.ts';
import { withRequestLog } from '../../src/server/request-log.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
const logger = createServerLogger({ level: 'info', destination });
/** The slow route: a Koa-like handler that logs before and after waiting `?wait=` ms. */
async function slow(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const wait = Number(new URL(req.url!, 'http://x').searchParams.get('wait'));
  logger.info({ at: 'before' }, 'slow');
  await new Promise((resolve) => setTimeout(resolve, wait));
  await Promise.resolve();
  logger.info({ at: 'after' }, 'slow');
  res.writeHead(204).end();
}
/** Requests under /fast are the fast path's: answered at once, outside any logging context. */
const fast = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
  if (!req.url!.startsWith('/fast')) return false;
  logger.info({}, 'fast line');
  res.writeHead(204).end();
  return true;
};
const server = http.createServer(withRequestLog(logger, fast, (req, res) => (req.url!.startsWith('/slow') ? slow(req, res) : void res.writeHead(204).end())));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function accessLine(path: string, requestId?: string): Promise<Record<string, unknown>> {
  const before = lines.length;
  await fetch(origin + path, { headers: requestId ? { 'x-request-id': requestId } : {} });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const line = lines.slice(before).find((l) => l['msg'] === 'request');
  if (!line) throw new Error(`no access line for ${path}`);
  return line;
}

describe('the access line', () => {
  it('censors a JWT and sensitive parameters in the path, and a JWT-looking request id, as the formatter would', async () => {
    const line = await accessLine(`/cb/${JWT}/x;access_token=t0ken;code=c0de`, JWT);
    const text = JSON.stringify(line);
    for (const secret of ['eyJ', 't0ken', 'c0de']) expect(text).not.toContain(secret);
    // What the formatter's scrub makes of the same fields.
    expect({ path: line['path'], reqId: line['reqId'] }).toEqual(scrub({ path: `/cb/${JWT}/x;access_token=t0ken;code=c0de`, reqId: JWT }));
    expect(line['reqId']).toBe('[Redacted JWT]');
  });

  it('writes exactly the documented fields (the marker that skips the formatter is never written)', async () => {
    const line = await accessLine('/plain?q=1', 'trace-42');
    expect(Object.keys(line).sort()).toEqual(['durationMs', 'hostname', 'level', 'method', 'msg', 'name', 'path', 'pid', 'reqId', 'status', 'time'].sort());
    expect(line).toMatchObject({ reqId: 'trace-42', method: 'GET', path: '/plain', status: 204 });
  });
});

describe('the logging context', () => {
  it('stays on while any Koa-routed request runs, whatever fast-path calls come and go, and is never given to the fast path', async () => {
    const before = lines.length;
    // Two overlapping slow requests; the first ends while the second still waits.
    const first = fetch(`${origin}/slow?wait=30`, { headers: { 'x-request-id': 'slow-1' } });
    const second = fetch(`${origin}/slow?wait=120`, { headers: { 'x-request-id': 'slow-2' } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 5; i++) await fetch(`${origin}/fast/${i}`, { headers: { 'x-request-id': `fast-${i}` } });
    await first;
    for (let i = 5; i < 8; i++) await fetch(`${origin}/fast/${i}`, { headers: { 'x-request-id': `fast-${i}` } });
    await second;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const written = lines.slice(before);
    const slowLines = written.filter((l) => l['msg'] === 'slow');
    expect(slowLines.map((l) => [l['at'], l['reqId']]).sort()).toEqual([
      ['after', 'slow-1'],
      ['after', 'slow-2'],
      ['before', 'slow-1'],
      ['before', 'slow-2'],
    ]);
    // The fast path's own lines get no context (they carry the id themselves where it matters).
    expect(written.filter((l) => l['msg'] === 'fast line').every((l) => l['reqId'] === undefined)).toBe(true);
    expect(written.filter((l) => l['msg'] === 'request').map((l) => l['reqId'])).toHaveLength(10);
  });
});
