import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticFilesOptions } from '../../src/server/static-files.ts';

let root: string;
const servers: Server[] = [];

async function serve(options: Partial<StaticFilesOptions> = {}): Promise<string> {
  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.body = 'downstream 404';
      ctx.status = 404;
    }
  });
  app.use(serveStatic({ root, exclude: ['/bff', '/api'], ...options }));
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/bff') || ctx.path.startsWith('/api')) ctx.body = { handledBy: 'next' };
    else await next();
  });
  const server = createServer(app.callback());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'portcullis-static-'));
  mkdirSync(path.join(root, 'assets'));
  mkdirSync(path.join(root, 'docs'));
  mkdirSync(path.join(root, '.well-known'));
  mkdirSync(path.join(root, '.git'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(root, 'assets', 'index-B_x9Zk2q.js'), 'export {};');
  writeFileSync(path.join(root, 'assets', 'index-D-4bFq1a.css'), 'body{}');
  writeFileSync(path.join(root, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(path.join(root, 'apple-touch-icon.png'), 'png');
  writeFileSync(path.join(root, 'robots.txt'), 'User-agent: *');
  writeFileSync(path.join(root, 'data.json'), '{"a":1}');
  writeFileSync(path.join(root, 'app.webmanifest'), '{}');
  writeFileSync(path.join(root, 'docs', 'index.html'), '<!doctype html><title>docs</title>');
  writeFileSync(path.join(root, '.env'), 'SECRET=1');
  writeFileSync(path.join(root, '.git', 'config'), '[core]');
  writeFileSync(path.join(root, '.well-known', 'security.txt'), 'Contact: mailto:sec@example.com');
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('serveStatic', () => {
  it('sets content types', async () => {
    const url = await serve();
    const cases: Array<[string, RegExp]> = [
      ['/', /^text\/html/],
      ['/assets/index-B_x9Zk2q.js', /^(application|text)\/javascript/],
      ['/assets/index-D-4bFq1a.css', /^text\/css/],
      ['/assets/logo.svg', /^image\/svg\+xml/],
      ['/robots.txt', /^text\/plain/],
      ['/data.json', /^application\/json/],
      ['/app.webmanifest', /^application\/manifest\+json/],
    ];
    for (const [file, type] of cases) {
      const response = await fetch(`${url}${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get('content-type'), file).toMatch(type);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('caches hashed assets as immutable and revalidates everything else', async () => {
    const url = await serve();
    const cache = async (p: string) => (await fetch(`${url}${p}`)).headers.get('cache-control');
    expect(await cache('/assets/index-B_x9Zk2q.js')).toBe('public, max-age=31536000, immutable');
    expect(await cache('/assets/index-D-4bFq1a.css')).toBe('public, max-age=31536000, immutable');
    expect(await cache('/assets/logo.svg')).toBe('no-cache');
    expect(await cache('/apple-touch-icon.png')).toBe('no-cache'); // looks hashed, but outside the bundler's dir
    expect(await cache('/')).toBe('no-cache');
    expect(await cache('/index.html')).toBe('no-cache');
    expect(await cache('/robots.txt')).toBe('no-cache');
  });

  it('takes a custom immutable rule', async () => {
    const url = await serve({ immutable: /^\/robots\.txt$/ });
    expect((await fetch(`${url}/robots.txt`)).headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${url}/assets/index-B_x9Zk2q.js`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('answers 304 to a matching ETag', async () => {
    const url = await serve();
    const first = await fetch(`${url}/assets/index-B_x9Zk2q.js`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(first.headers.get('last-modified')).toBeTruthy();
    const again = await fetch(`${url}/assets/index-B_x9Zk2q.js`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    expect(again.status).toBe(304);
    const other = await fetch(`${url}/assets/index-B_x9Zk2q.js`, { headers: { 'if-none-match': 'W/"0-0"', 'cache-control': 'max-age=0' } });
    expect(other.status).toBe(200);
  });

  it('adds page headers and the CSP to HTML only', async () => {
    const url = await serve({ contentSecurityPolicy: "default-src 'self'" });
    const html = await fetch(`${url}/`);
    expect(html.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(html.headers.get('x-frame-options')).toBe('DENY');
    expect(html.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(`${url}/robots.txt`)).headers.get('content-security-policy')).toBeNull();
  });

  it('falls back to index.html for client routes, a directory index first', async () => {
    const url = await serve();
    for (const route of ['/todos', '/todos/42', '/settings/profile/']) {
      const response = await fetch(`${url}${route}`);
      expect(response.status, route).toBe(200);
      expect(await response.text(), route).toContain('<title>app</title>');
    }
    expect(await (await fetch(`${url}/docs/`)).text()).toContain('<title>docs</title>');
  });

  it('never falls back for excluded prefixes or files with an extension', async () => {
    const url = await serve();
    expect(await (await fetch(`${url}/bff/user`)).json()).toEqual({ handledBy: 'next' });
    expect(await (await fetch(`${url}/api/todos/1`)).json()).toEqual({ handledBy: 'next' });
    for (const missing of ['/missing.js', '/assets/index-00000000.js', '/img/photo.png', '/favicon.ico']) {
      const response = await fetch(`${url}${missing}`);
      expect(response.status, missing).toBe(404);
      expect(await response.text()).toBe('downstream 404');
    }
  });

  it('without the fallback, client routes are 404', async () => {
    const url = await serve({ spaFallback: false });
    expect((await fetch(`${url}/todos`)).status).toBe(404);
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it('never serves dotfiles, traversals or encoded tricks (except /.well-known)', async () => {
    const url = await serve();
    for (const p of ['/.env', '/.git/config', '/assets/%2e%2e/.env', '/..%2f..%2fetc%2fpasswd', '/a%00.js', '/%E0%A4%A', '/assets%5c..%5c.env', '/.well-known/../.env']) {
      const response = await fetch(`${url}${p}`);
      expect(response.status, p).toBe(404);
      expect(await response.text(), p).not.toMatch(/SECRET|\[core\]|root:/);
    }
    // fetch resolves %2e%2e itself: /etc/passwd is then a client route (index.html), not the file
    expect(await (await fetch(`${url}/%2e%2e/%2e%2e/etc/passwd`)).text()).toContain('<title>app</title>');
    expect(await (await fetch(`${url}/.well-known/security.txt`)).text()).toContain('Contact');
  });

  it('answers HEAD with the headers and no body, and leaves other methods alone', async () => {
    const url = await serve();
    const head = await fetch(`${url}/assets/index-B_x9Zk2q.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('content-type')).toMatch(/javascript/);
    expect(await head.text()).toBe('');
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(404);
  });

  describe('symbolic links', () => {
    let outside: string;
    beforeAll(() => {
      // A secret outside the root, and links to it in the build output (a file link and a directory link).
      outside = mkdtempSync(path.join(tmpdir(), 'portcullis-outside-'));
      writeFileSync(path.join(outside, 'secret.txt'), 'OUTSIDE-SECRET-3f1a');
      writeFileSync(path.join(outside, 'page.html'), '<title>OUTSIDE-SECRET-3f1a</title>');
      symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'leak.txt'));
      symlinkSync(outside, path.join(root, 'linked'));
      symlinkSync(path.join(outside, 'page.html'), path.join(root, 'assets', 'page.html'));
      // Inside the root: a stable name for a hashed file, and a directory alias.
      symlinkSync(path.join(root, 'assets', 'index-B_x9Zk2q.js'), path.join(root, 'latest.js'));
      symlinkSync(path.join(root, 'docs'), path.join(root, 'manual'));
    });

    it('never follows a link out of the root: 404 (fall through), nothing leaked', async () => {
      const url = await serve();
      for (const p of ['/leak.txt', '/linked/secret.txt', '/linked/page.html', '/assets/page.html']) {
        for (const method of ['GET', 'HEAD']) {
          const response = await fetch(`${url}${p}`, { method });
          expect(response.status, `${method} ${p}`).toBe(404);
          const text = await response.text();
          expect(text, p).not.toContain('OUTSIDE-SECRET');
          expect(response.headers.get('content-length'), p).not.toBe('19');
        }
      }
      // A link to a directory outside, without an extension: a client route, so index.html, not the directory.
      expect(await (await fetch(`${url}/linked/`)).text()).toContain('<title>app</title>');
    });

    it('serves links that stay inside the root', async () => {
      const url = await serve();
      const latest = await fetch(`${url}/latest.js`);
      expect(latest.status).toBe(200);
      expect(await latest.text()).toBe('export {};');
      expect(await (await fetch(`${url}/manual/`)).text()).toContain('<title>docs</title>');
    });

    it('a root that is itself a link (a "current" release) still serves its files', async () => {
      const alias = path.join(mkdtempSync(path.join(tmpdir(), 'portcullis-alias-')), 'current');
      symlinkSync(root, alias);
      const url = await serve({ root: alias });
      expect((await fetch(`${url}/robots.txt`)).status).toBe(200);
      expect((await fetch(`${url}/latest.js`)).status).toBe(200);
      expect((await fetch(`${url}/leak.txt`)).status).toBe(404);
    });
  });
});
