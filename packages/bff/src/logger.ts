/**
 * The logger contract (a subset of pino's) and the default logger.
 *
 * The BFF logs events with structured fields; it never passes a token, a
 * code, a secret or a cookie value to the logger.
 */

/** A log method: pino's `(obj, msg)` form. */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/** What the BFF needs from a logger; a pino logger fits. */
export interface BffLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
/** A log level of the console logger. */
export type LogLevel = keyof typeof LEVELS;

/**
 * A JSON-lines logger on stderr. Default level `warn`, or `PORTCULLIS_LOG_LEVEL`.
 * @param level - the lowest level written
 */
export function createConsoleLogger(level: LogLevel | 'silent' = (process.env.PORTCULLIS_LOG_LEVEL as LogLevel | undefined) ?? 'warn'): BffLogger {
  const min = level === 'silent' ? Infinity : (LEVELS[level] ?? LEVELS.warn);
  const write =
    (name: LogLevel): LogMethod =>
    (fields, message) => {
      if (LEVELS[name] < min) return;
      process.stderr.write(`${JSON.stringify({ level: name, time: new Date().toISOString(), name: 'portcullis', msg: message, ...fields })}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A logger that drops everything (for tests). */
export const silentLogger: BffLogger = { debug() {}, info() {}, warn() {}, error() {} };
