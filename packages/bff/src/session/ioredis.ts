/**
 * ioredis, loaded on first use: `@portcullis/bff` imports without it, and
 * only an application that builds a Redis store needs it installed.
 */
import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';

let loaded: typeof IORedis | undefined;

/** The ioredis module (loaded synchronously the first time: it is CommonJS). */
export function ioredis(): typeof IORedis {
  if (!loaded) {
    try {
      loaded = createRequire(import.meta.url)('ioredis') as typeof IORedis;
    } catch (err) {
      throw new Error('RedisSessionStore needs the "ioredis" package: npm install ioredis', { cause: err });
    }
  }
  return loaded;
}
