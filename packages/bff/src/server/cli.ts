/**
 * The `portcullis` command:
 *
 *   portcullis serve --config portcullis.config.json [--static ./dist] [--port 3000]
 *   portcullis check --config portcullis.config.json
 *
 * A thin wrapper around {@link loadConfig}, {@link startServer} and
 * {@link checkConfig}. Secrets are never accepted as flags.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, ENV_VARIABLES, loadConfig, OTHER_ENV_VARIABLES, type ConfigFlags } from './config.ts';
// check.ts, serve.ts and the logger are imported when a command needs them: `--help` stays fast.

/** Where the CLI writes, and how it exits (tests pass their own). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ends the process (after a `serve` shutdown). */
  exit(code: number): void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  exit: (code) => process.exit(code),
};

/** Exit codes. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The package version. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function helpText(): string {
  const envRows = [...ENV_VARIABLES.map((v) => ({ name: v.name, description: v.description })), ...OTHER_ENV_VARIABLES];
  const width = Math.max(...envRows.map((r) => r.name.length));
  return `Usage: portcullis <command> [options]

Runs the Portcullis BFF in front of a single-page app: sign-in with an OpenID
provider, tokens kept server-side, allowlisted APIs proxied with the right
bearer token, and the SPA's static build served beside it.

Commands:
  serve            Start the server (SIGTERM/SIGINT stop it gracefully)
  check            Validate the configuration, reach the provider's discovery
                   document, try the client credentials (a token request with
                   an invalid code) and the session store, report what logout
                   and refresh can count on, then exit (0 = all good)

Options:
  -c, --config <file>     Config file: .json, or a .js/.mjs/.cjs/.ts/.mts module
                          whose default export is the object or a function
                          returning it (also PORTCULLIS_CONFIG)
      --static <dir>      Serve the SPA build in <dir> (SPA fallback to index.html)
  -p, --port <port>       Port (default 3000)
      --host <host>       Interface to listen on (default: all)
      --trust-proxy[=<n>] Trust X-Forwarded-* from <n> reverse proxies in front
                          (the bare flag counts as 1; each must append to
                          X-Forwarded-For)
      --log-level <level> fatal, error, warn, info (default), debug, trace, silent
  -h, --help              This help
  -v, --version           The version

Precedence: config file < environment variables < flags.
Secrets (client secret, client private key, session keys, Redis URLs and
passwords) are never read from flags: set them in the environment, in files
(*_FILE variables), or in the config file as a value,
{ "file": "/run/secrets/name" } or { "env": "NAME" }.

Environment variables:
${envRows.map((r) => `  ${r.name.padEnd(width)}  ${r.description}`).join('\n')}

Endpoints besides the BFF's: GET /healthz (liveness), GET /readyz (readiness:
a session store round trip, else 503; the provider is reported, and required
only with PORTCULLIS_READY_REQUIRES_PROVIDER). With PORTCULLIS_METRICS_PORT,
GET /metrics (Prometheus) on that port only, on 127.0.0.1 unless
PORTCULLIS_METRICS_HOST says otherwise.
`;
}

/** Flags that would carry a secret, with where the secret belongs instead. */
const SECRET_FLAG = /secret|password|passwd|token|credential|redis|private|jwk|pem|(?:^|[-_])keys?(?:$|[-_])/i;
function secretAdvice(flag: string): string {
  const name = flag.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  if (/secret/.test(name)) return 'PORTCULLIS_CLIENT_SECRET or PORTCULLIS_CLIENT_SECRET_FILE, or "clientSecret": { "file": "/run/secrets/client-secret" } in the config file';
  if (/private|client.*key|jwk|pem/.test(name))
    return 'PORTCULLIS_CLIENT_PRIVATE_KEY or PORTCULLIS_CLIENT_PRIVATE_KEY_FILE, or "clientPrivateKey": { "file": "/run/secrets/client-key.pem" } in the config file';
  if (/key/.test(name)) return 'PORTCULLIS_SESSION_KEYS or PORTCULLIS_SESSION_KEYS_FILE, or "session": { "keys": { "file": "/run/secrets/session-keys" } } in the config file';
  if (/password|passwd/.test(name))
    return 'PORTCULLIS_REDIS_PASSWORD or PORTCULLIS_REDIS_PASSWORD_FILE, or "session": { "store": { "password": { "file": "/run/secrets/redis-password" } } } in the config file';
  if (/redis|url/.test(name)) return 'PORTCULLIS_REDIS_URL or PORTCULLIS_REDIS_URL_FILE, or "session": { "store": { "type": "redis", "url": { "env": "REDIS_URL" } } } in the config file';
  return 'the environment (PORTCULLIS_CLIENT_SECRET, PORTCULLIS_SESSION_KEYS, PORTCULLIS_REDIS_URL), their *_FILE variants, or the config file';
}

/** Runs the CLI. Resolves the exit code, or `undefined` while `serve` keeps running. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number | undefined> {
  // Refuse secrets on the command line before anything else, whatever the rest says.
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('-') && SECRET_FLAG.test(arg.replace(/^-+/, '').split('=')[0]!)) {
      io.stderr(
        `portcullis: ${arg.split('=')[0]} refused: secrets are never accepted on the command line, where other users and processes can read them (ps, /proc/*/cmdline) and shell history keeps them. Use ${secretAdvice(arg)}.\n`,
      );
      return EXIT.usage;
    }
  }

  // `--trust-proxy=<n>` carries a value, bare `--trust-proxy` none: parseArgs has no optional values.
  let trustProxyValue: string | undefined;
  const args = argv.filter((arg, i) => {
    const stop = argv.indexOf('--');
    if ((stop < 0 || i < stop) && arg.startsWith('--trust-proxy=')) {
      trustProxyValue = arg.slice('--trust-proxy='.length);
      return false;
    }
    return true;
  });

  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        static: { type: 'string' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    io.stderr(`portcullis: ${err instanceof Error ? err.message : String(err)}\nRun \`portcullis --help\` for the options.\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(helpText());
    return EXIT.ok;
  }
  if (values.version) {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  const [command = 'serve', ...rest] = positionals;
  if (command === 'help') {
    io.stdout(helpText());
    return EXIT.ok;
  }
  if (command !== 'serve' && command !== 'check') {
    io.stderr(`portcullis: unknown command "${command}": use serve or check (\`portcullis --help\`)\n`);
    return EXIT.usage;
  }
  if (rest.length) {
    io.stderr(`portcullis: unexpected argument "${rest[0]}" (\`portcullis --help\`)\n`);
    return EXIT.usage;
  }

  const flags: ConfigFlags = {
    ...(values.port !== undefined ? { port: values.port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.static !== undefined ? { static: values.static } : {}),
    ...(values['trust-proxy'] !== undefined ? { trustProxy: values['trust-proxy'] } : {}),
    ...(trustProxyValue !== undefined ? { trustProxy: trustProxyValue } : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
  };

  let config;
  try {
    config = await loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), env: io.env, cwd: io.cwd, flags });
  } catch (err) {
    return reportError(err, io);
  }

  if (command === 'check') {
    try {
      const { checkConfig } = await import('./check.ts');
      const outcome = await checkConfig(config);
      (outcome.ok ? io.stdout : io.stderr)(`${outcome.lines.join('\n')}\n`);
      return outcome.ok ? EXIT.ok : EXIT.failed;
    } catch (err) {
      return reportError(err, io);
    }
  }

  const [{ createServerLogger }, { startServer }, { onShutdownSignal }] = await Promise.all([import('./logger.ts'), import('./serve.ts'), import('./shutdown.ts')]);
  const logger = createServerLogger({ level: config.logLevel });
  let running;
  try {
    running = await startServer(config, { logger });
  } catch (err) {
    if (err instanceof ConfigError) return reportError(err, io);
    logger.fatal({ err }, 'could not start');
    io.stderr(`portcullis: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
  const server = running;
  const fatal = (kind: string) => (err: unknown) => {
    logger.fatal({ err }, kind);
    io.exit(EXIT.failed);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
  onShutdownSignal((reason) => {
    logger.info({ reason }, 'shutting down');
    void server.close().then(
      () => io.exit(EXIT.ok),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        io.exit(EXIT.failed);
      },
    );
  }, logger);
  return undefined;
}

function reportError(err: unknown, io: CliIo): number {
  if (err instanceof ConfigError) {
    io.stderr(`portcullis: ${err.message}\n`);
    return EXIT.usage;
  }
  io.stderr(`portcullis: ${err instanceof Error ? err.message : String(err)}\n`);
  return EXIT.failed;
}
