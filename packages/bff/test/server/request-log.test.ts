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
const server = http.createServer(withRequestLog(logger, (_req, res) => res.writeHead(204).end()));
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
