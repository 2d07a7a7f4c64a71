/**
 * Content encodings of static files: which one a request accepts
 * (`Accept-Encoding`), which types are worth compressing, and on-the-fly
 * compression with a bounded cache.
 *
 * On-the-fly compression runs in libuv's thread pool (async zlib), never on
 * the event loop, and its result is cached by file, size, mtime and encoding:
 * an SPA's few bundles are compressed once per deployment, not once per
 * visitor. Brotli runs at quality 5 and gzip at level 6 (measured on the demo
 * bundle, 239 KB: 70 KB and 74 KB for 10–15 ms of CPU each; brotli's maximum,
 * 11, gives 64 KB for half a second and belongs in the build: ship `.br`
 * files next to the originals and they are served as they are).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** The encodings served, in the server's order of preference. */
export const ENCODINGS = ['br', 'gzip'] as const;
/** A content encoding other than identity. */
export type Encoding = (typeof ENCODINGS)[number];

/** File suffix of a precompressed variant (`app.js.br`, `app.js.gz`). */
export const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

/**
 * The acceptable encodings of a request, best first: by the client's q-value,
 * then brotli before gzip. `*` stands for any encoding not named; `q=0` refuses.
 */
export function acceptedEncodings(header: string | undefined): Encoding[] {
  if (!header) return [];
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const param of params) {
      const match = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(param);
      if (match) weight = Number(match[1]);
    }
    if (Number.isFinite(weight)) q.set(name.trim(), weight);
  }
  const weightOf = (encoding: Encoding): number => q.get(encoding) ?? (encoding === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0;
  return ENCODINGS.filter((e) => weightOf(e) > 0).sort((a, b) => weightOf(b) - weightOf(a) || ENCODINGS.indexOf(a) - ENCODINGS.indexOf(b));
}

/** Types that compress well: text, JavaScript, JSON, XML, SVG, web manifests. */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') || /^application\/(?:javascript|x-javascript|ecmascript|json|xml|manifest\+json|ld\+json|wasm)$/.test(type) || /\+(?:json|xml)$/.test(type) || type === 'image/svg+xml'
  );
}

/** Options of a {@link Compressor}. */
export interface CompressorOptions {
  /** Smallest file (bytes) compressed on the fly. Default 1024: below it, headers cost more than is saved. */
  threshold?: number;
  /** Most bytes of compressed output kept in memory, least recently used dropped first. Default 16 MiB; 0 disables the cache. */
  cacheBytes?: number;
  /** Files larger than this (bytes) are compressed as a stream, uncached, without Content-Length. Default 8 MiB. */
  maxBuffered?: number;
}

const zlibOptions = (encoding: Encoding, size: number): zlib.ZlibOptions | zlib.BrotliOptions =>
  encoding === 'br' ? { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size } } : { level: 6 };

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** A compressed body: a buffer (cached, with a length) or a stream (large files). */
export type CompressedBody = { buffer: Buffer } | { stream: Readable };

/** Compresses files on the fly and keeps the results. */
export class Compressor {
  readonly threshold: number;
  readonly #cacheBytes: number;
  readonly #maxBuffered: number;
  readonly #cache = new Map<string, Buffer>();
  readonly #inflight = new Map<string, Promise<Buffer>>();
  #cached = 0;

  constructor(options: CompressorOptions = {}) {
    this.threshold = options.threshold ?? 1024;
    this.#cacheBytes = options.cacheBytes ?? 16 * 1024 * 1024;
    this.#maxBuffered = options.maxBuffered ?? 8 * 1024 * 1024;
  }

  /** Bytes of compressed output held in the cache. */
  get cachedBytes(): number {
    return this.#cached;
  }

  /** The file at `real` (with these stats) compressed with `encoding`. */
  async compress(real: string, stats: { size: number; mtimeMs: number }, encoding: Encoding): Promise<CompressedBody> {
    if (stats.size > this.#maxBuffered) {
      const stream = encoding === 'br' ? zlib.createBrotliCompress(zlibOptions(encoding, stats.size)) : zlib.createGzip(zlibOptions(encoding, stats.size));
      // An error on either side destroys the other; Koa then ends the response.
      pipeline(createReadStream(real), stream, () => {});
      return { stream };
    }
    const key = `${encoding}\0${stats.size}\0${stats.mtimeMs}\0${real}`;
    const hit = this.#cache.get(key);
    if (hit) {
      // Least recently used first: a hit moves to the end.
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return { buffer: hit };
    }
    let pending = this.#inflight.get(key);
    if (!pending) {
      pending = (async () => {
        const raw = await readFile(real);
        return encoding === 'br' ? brotli(raw, zlibOptions(encoding, raw.length)) : gzip(raw, zlibOptions(encoding, raw.length));
      })();
      this.#inflight.set(key, pending);
      void pending.then(
        (buffer) => {
          this.#inflight.delete(key);
          this.#remember(key, buffer);
        },
        () => this.#inflight.delete(key),
      );
    }
    return { buffer: await pending };
  }

  #remember(key: string, buffer: Buffer): void {
    if (buffer.length > this.#cacheBytes) return;
    this.#cache.set(key, buffer);
    this.#cached += buffer.length;
    for (const [oldKey, old] of this.#cache) {
      if (this.#cached <= this.#cacheBytes) break;
      this.#cache.delete(oldKey);
      this.#cached -= old.length;
    }
  }
}
