/**
 * Runs existing HTTP suites against the Node-level fast path (`bff.handle`)
 * without changing them: while mounted, every Koa app that uses a BFF
 * middleware answers through `bff.handle(req, res, { trustProxy: app.proxy })
 * || koaCallback(req, res)`, exactly what `bff.callback(app)` does (the demo
 * stack and the test arena build their servers from `app.callback()`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import type { BffMiddleware } from '../../src/bff.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;
interface KoaApp {
  proxy: boolean;
  middleware: unknown[];
}
interface KoaClass {
  prototype: { callback(this: KoaApp): Listener };
}

const Koa = createRequire(import.meta.url)('koa') as KoaClass;

const isBff = (m: unknown): m is BffMiddleware => typeof m === 'function' && typeof (m as Partial<BffMiddleware>).handle === 'function';

/** Puts the fast path in front of every Koa app's callback; `handled()` counts the requests it took. */
export function mountFastPath(): { handled(): number; restore(): void } {
  const original = Koa.prototype.callback;
  let handled = 0;
  Koa.prototype.callback = function callback(this: KoaApp): Listener {
    const koa = original.call(this);
    const bffs = this.middleware.filter(isBff);
    if (!bffs.length) return koa;
    return (req, res) => {
      for (const bff of bffs) {
        if (bff.handle(req, res, { trustProxy: this.proxy })) {
          handled++;
          return undefined;
        }
      }
      return koa(req, res);
    };
  };
  return { handled: () => handled, restore: () => void (Koa.prototype.callback = original) };
}

/**
 * Registers the suites `load` imports to run with the fast path mounted, then a test that the
 * fast path really took requests (at least `minimum`), and unmounts it after the file.
 */
export async function onFastPath(load: () => Promise<unknown>, minimum = 10): Promise<void> {
  const mount = mountFastPath();
  await load();
  describe('fast path', () => {
    it('took the proxied calls (not the Koa route)', () => {
      expect(mount.handled()).toBeGreaterThanOrEqual(minimum);
    });
  });
  afterAll(() => mount.restore());
}
