/**
 * The server configuration: a file (JSON, or a JS/TS module whose default
 * export is the object or a function returning it), then environment
 * variables, then the few non-secret command-line flags, each overriding the
 * one before. Secrets come from the environment, from files, or from the
 * config file (directly or as `{ "file": "…" }` / `{ "env": "NAME" }`), never
 * from the command line.
 *
 * The result is a validated {@link ServerConfig}. The server fields are
 * checked at load time (config/validate.ts); the BFF options are checked by
 * `createBff` itself (see {@link validateBffOptions}). Every error names the
 * option and where its value came from (the file, an environment variable, a
 * flag). This module is the entry point; the parts live under config/.
 */
import { silentLogger } from '../logger.ts';
import { BffOptionsError, type ResolvedOptions } from '../options.ts';
import { closest } from './config/keys.ts';
import { ConfigError, sourceNote, type ServerConfig } from './config/types.ts';
import { BFF_OPTION_NAMES, friendly, requireBffOptions } from './config/validate.ts';
import { internalsOf } from '../internals.ts';

export { ENV_VARIABLES, OTHER_ENV_VARIABLES, type EnvVariable } from './config/env.ts';
export { loadConfig, type ConfigFlags, type LoadConfigInput } from './config/load.ts';
export { ConfigError, type ConfigBffOptions, type MetricsConfig, type RedisStoreConfig, type ServerConfig, type StaticConfig, type StoreConfig } from './config/types.ts';
export { requireBffOptions } from './config/validate.ts';

/**
 * Runs `createBff`'s validation on the config's BFF options (no network).
 * @returns the options as `createBff` resolved them (defaults applied, the redirect URI derived)
 * @throws ConfigError naming the option and where its value came from
 */
export async function validateBffOptions(config: ServerConfig): Promise<ResolvedOptions> {
  requireBffOptions(config);
  const { createBff } = await import('../bff.ts'); // loaded when needed: `--help` stays fast
  try {
    const bff = createBff({ ...config.bff, logger: silentLogger });
    await bff.close();
    return internalsOf(bff).options;
  } catch (err) {
    throw toConfigError(err, config);
  }
}

/** A `BffOptionsError` as a {@link ConfigError} in operator words that also says where the value came from; other errors unchanged. */
export function toConfigError(err: unknown, config: Pick<ServerConfig, 'sources'>): unknown {
  if (!(err instanceof BffOptionsError)) return err;
  const unknown = /has unknown keys "([^"]+)"/.exec(err.message);
  if (unknown) {
    // createBff names the object ("(options)" at the top); name the key itself.
    const option = err.option === '(options)' ? unknown[1]! : `${err.option}.${unknown[1]!}`;
    const guess = err.option === '(options)' ? closest(unknown[1]!, BFF_OPTION_NAMES) : undefined;
    return new ConfigError(option, `unknown option "${option}"${guess ? `: did you mean "${guess}"?` : ''}${sourceNote(config.sources, option)}`);
  }
  const marker = `option "${err.option}" `;
  const at = err.message.indexOf(marker);
  const what = at >= 0 ? friendly(err.message.slice(at + marker.length)) : err.message;
  return new ConfigError(err.option, `option "${err.option}" ${what}${sourceNote(config.sources, err.option)}`);
}
