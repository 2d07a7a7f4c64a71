/**
 * A Koa app for tests that mount `createBff` themselves (an https baseUrl
 * behind a TLS-terminating proxy, a second BFF on the demo provider).
 *
 * The test package has no koa dependency of its own (adding one needs an
 * install); the BFF package depends on koa, so its copy is loaded from there.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BffMiddleware } from '@portcullis/bff';

/** The part of a Koa application these tests use. */
export interface TestKoaApp {
  /** Trust X-Forwarded-Proto/Host/For from a proxy in front. */
  proxy: boolean;
  use(middleware: BffMiddleware | ((ctx: unknown, next: () => Promise<void>) => Promise<void>)): TestKoaApp;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}

const requireFromBff = createRequire(new URL('../../packages/bff/package.json', import.meta.url));
const Koa = requireFromBff('koa') as new () => TestKoaApp;

/** A new Koa application. */
export function createKoaApp(): TestKoaApp {
  return new Koa();
}
