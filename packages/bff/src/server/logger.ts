/**
 * The server's logger: pino, JSON lines on stdout, with redaction.
 *
 * Nothing secret may reach a log line, whatever a caller passes:
 * - pino `redact` censors cookie, authorization and set-cookie headers;
 * - every field whose name contains `secret`, `token`, `password`, `cookie`
 *   or `authorization` is censored, at any depth;
 * - a `code` or `state` field is censored unless it looks like an error code
 *   (`access_denied`, `ECONNREFUSED`);
 * - every string (the message included) is scrubbed of JWT-looking values,
 *   `Bearer` credentials and the values of `code`, `state`, token and secret
 *   query parameters.
 * Each line carries the request id (`reqId`) of the request it was logged in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

/** Log levels, lowest last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The request a log line belongs to (set by the request-id middleware). */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

export const CENSOR = '[Redacted]';

/**
 * Marks a log object whose fields were made safe where they were built (the access line: only
 * its path and request id come from the client, and both went through {@link scrubString}), so
 * the formatter passes it on without walking it again. The key is a symbol: never written out.
 */
export const SCRUBBED = Symbol('portcullis.scrubbed');
const SECRET_KEY = /secret|token|password|passwd|cookie|authorization|credential|api[-_]?key|session[-_]?keys?$/i;
const CODE_KEY = /^(code|state|session_state)$/i;
/** Error codes that may stay: OAuth's lowercase ones and Node's uppercase ones. */
const ERROR_CODE = /^(?:[a-z_]{1,64}|[A-Z][A-Z0-9_]{1,63})$/;
const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]+/gi;
const SENSITIVE_PARAM = /([?&#;\s](?:code|state|session_state|id_token|access_token|refresh_token|logout_token|token|id_token_hint|client_secret|code_verifier|password)=)[^&#\s"']*/gi;

/** A string with JWTs, bearer credentials and sensitive query parameter values censored. */
export function scrubString(value: string): string {
  return value.replace(JWT, '[Redacted JWT]').replace(BEARER, `$1 ${CENSOR}`).replace(SENSITIVE_PARAM, `$1${CENSOR}`);
}

/** A copy of `value` with secret fields censored and strings scrubbed (errors reduced to name, message, code, stack). */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[Too deep]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: scrubString(value.message),
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      ...(value.stack ? { stack: scrubString(value.stack) } : {}),
      ...(value.cause !== undefined ? { cause: scrub(value.cause, depth + 1, seen) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1, seen));
  if (Buffer.isBuffer(value)) return '[Buffer]';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_KEY.test(key) && item !== undefined && item !== null && item !== '') out[key] = CENSOR;
    else if (CODE_KEY.test(key) && typeof item === 'string' && !ERROR_CODE.test(item)) out[key] = CENSOR;
    else out[key] = scrub(item, depth + 1, seen);
  }
  return out;
}

/**
 * `logger` for lines whose fields are flat and scrubbed where they are built (the access line,
 * marked {@link SCRUBBED}): a pino child without the redact walk, which costs ~5 µs a line
 * (bench/) and has nothing to find in them (it censors header objects).
 */
export function withoutRedaction<T extends object>(logger: T): T {
  const child = (logger as Partial<Pick<Logger, 'child'>>).child;
  return typeof child === 'function' ? (child.call(logger, {}, { redact: { paths: [] } }) as T) : logger;
}

/** Header paths pino's `redact` censors (the scrubber catches them too: this is defence in depth). */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  '*.headers.cookie',
  '*.headers.authorization',
  '*.headers["set-cookie"]',
];

/** Options of {@link createServerLogger}. */
export interface ServerLoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default: stdout, synchronously (no line is lost at exit). */
  destination?: DestinationStream;
}

/** The server's pino logger (it also fits `createBff`'s `logger` option). */
export function createServerLogger(options: ServerLoggerOptions = {}): Logger {
  return pino(
    {
      name: 'portcullis',
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => ((fields as { [SCRUBBED]?: true })[SCRUBBED] ? fields : (scrub(fields) as Record<string, unknown>)),
      },
      mixin: () => {
        const store = requestContext.getStore();
        return store ? { reqId: store.reqId } : {};
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubString(arg) : arg)) as Parameters<typeof method>;
          return method.apply(this, scrubbed);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
