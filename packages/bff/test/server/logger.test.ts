import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createServerLogger, requestContext, scrub, scrubString } from '../../src/server/logger.ts';

function capture(level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createServerLogger({ level, destination });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';

describe('server logger', () => {
  it('writes JSON lines with a level label, time, name and message', () => {
    const { logger, parsed } = capture();
    logger.info({ port: 3000 }, 'listening');
    expect(parsed()[0]).toMatchObject({ level: 'info', name: 'portcullis', port: 3000, msg: 'listening' });
    expect(typeof parsed()[0]!['time']).toBe('string');
  });

  it('censors cookie, authorization and set-cookie headers (pino redact)', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { cookie: 'portcullis=abc.def', authorization: 'Bearer xyz', accept: 'text/html' } }, res: { headers: { 'set-cookie': ['portcullis=abc.def'] } } }, 'headers');
    const line = lines[0]!;
    expect(line).not.toContain('abc.def');
    expect(line).not.toContain('xyz');
    expect(line).toContain('text/html');
    expect(line).toContain('[Redacted]');
  });

  it('censors every *secret*, *token*, *password*, cookie and authorization field at any depth', () => {
    const { logger, lines, parsed } = capture();
    logger.warn(
      { clientSecret: 'S1', nested: { refresh_token: 'R1', accessToken: 'A1', deeper: [{ idToken: 'I1', password: 'P1' }] }, sessionKeys: ['K1'], Cookie: 'C1', authorization: 'Z1', ok: 'visible' },
      'fields',
    );
    for (const secret of ['S1', 'R1', 'A1', 'I1', 'P1', 'K1', 'C1', 'Z1']) expect(lines[0]).not.toContain(`"${secret}"`);
    expect(parsed()[0]).toMatchObject({ clientSecret: '[Redacted]', ok: 'visible', nested: { refresh_token: '[Redacted]' } });
  });

  it('keeps error codes but censors codes and states that look like values', () => {
    const { parsed, logger } = capture();
    logger.info({ code: 'access_denied' }, 'refused');
    logger.info({ code: 'ECONNREFUSED' }, 'down');
    logger.info({ code: 'Xk3-9vQ_aB7cD0eF1gH2iJ3kL4mN5oP6qR7sT8uV9wY', state: 'aBc123-state-value' }, 'oops');
    expect(parsed()[0]!['code']).toBe('access_denied');
    expect(parsed()[1]!['code']).toBe('ECONNREFUSED');
    expect(parsed()[2]).toMatchObject({ code: '[Redacted]', state: '[Redacted]' });
  });

  it('scrubs JWTs, bearer credentials and sensitive query parameters from every string, the message included', () => {
    const { logger, lines } = capture();
    logger.error({ url: 'http://localhost:3000/bff/callback?code=abc123&state=st456&iss=x', detail: `token ${JWT}` }, `failed with Bearer opaque.value and ${JWT}`);
    const line = lines[0]!;
    expect(line).not.toContain('abc123');
    expect(line).not.toContain('st456');
    expect(line).not.toContain('eyJ');
    expect(line).not.toContain('opaque.value');
    expect(line).toContain('iss=x');
    expect(scrubString('/cb?code=1&state=2')).toBe('/cb?code=[Redacted]&state=[Redacted]');
  });

  it('reduces errors to type, message, code, stack and cause, scrubbed', () => {
    const err = Object.assign(new Error(`bad response ${JWT}`), { code: 'E_BAD', response: { body: 'client_secret=hunter2' } });
    const out = scrub({ err }) as { err: Record<string, unknown> };
    expect(out.err).toMatchObject({ type: 'Error', message: 'bad response [Redacted JWT]', code: 'E_BAD' });
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(String(out.err['stack'])).not.toContain('eyJ');
  });

  it('adds the request id of the current request to every line', async () => {
    const { logger, parsed } = capture();
    await requestContext.run({ reqId: 'req-1' }, async () => {
      await Promise.resolve();
      logger.info({}, 'inside');
    });
    logger.info({}, 'outside');
    expect(parsed()[0]!['reqId']).toBe('req-1');
    expect(parsed()[1]!['reqId']).toBeUndefined();
  });

  it('honours the level', () => {
    const { logger, lines } = capture('info');
    logger.debug({}, 'hidden');
    logger.info({}, 'shown');
    expect(lines).toHaveLength(1);
  });
});
