/**
 * A real Redis Sentinel setup for tests, from the Debian `redis-server` binary
 * (`--sentinel` mode): one primary, one replica, one sentinel (quorum 1,
 * `down-after-milliseconds` 1000), so a killed primary fails over in seconds.
 * Data nodes have an append-only file (fsync always) in a temp directory.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, kill, spawnRedis } from './redis.ts';

/** A running primary + replica + sentinel (stop it at the end: its directories are removed then). */
export interface TestRedisSentinel {
  /** The master group name. */
  name: string;
  /** `host:port` of the sentinel. */
  sentinels: string[];
  sentinelPort: number;
  /** Ports of the two data nodes (primary first at start). */
  dataPorts: number[];
  password: string | undefined;
  sentinelPassword: string | undefined;
  /** The primary's port, as the sentinel says now. */
  masterPort(): Promise<number>;
  /** Kills the data node on `port` (SIGKILL, like a crash). */
  kill(port: number): Promise<void>;
  /** Starts the data node on `port` again (same data directory; the sentinel makes it a replica after a failover). */
  restart(port: number): Promise<void>;
  /** Resolves with the new primary's port once the sentinel names another primary than `oldPort` and it accepts writes. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/** Options of {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /** `requirepass` + `masterauth` of the data nodes. */
  password?: string;
  /** `requirepass` of the sentinel. */
  sentinelPassword?: string;
}

const NAME = 'portcullis';

/** Starts primary, replica and sentinel; resolves once the sentinel knows the synced replica. */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<TestRedisSentinel> {
  const { password, sentinelPassword } = options;
  const root = await mkdtemp(join(tmpdir(), 'portcullis-sentinel-'));
  const [primary, replica, sentinelPort] = [await freePort(), await freePort(), await freePort()];
  const children = new Map<number, ChildProcess>();
  const launch = async (port: number, replicaOf?: number) => {
    const dir = join(root, String(port));
    await mkdir(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
    if (password) args.push('--requirepass', password, '--masterauth', password);
    if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    children.set(port, await spawnRedis(args));
  };
  const data = (port: number) => new Redis({ port, host: '127.0.0.1', ...(password ? { password } : {}), maxRetriesPerRequest: 1, retryStrategy: () => null });
  const sentinelClient = () => new Redis({ port: sentinelPort, host: '127.0.0.1', ...(sentinelPassword ? { password: sentinelPassword } : {}), maxRetriesPerRequest: 1, retryStrategy: () => null });
  const ask = async <T>(client: Redis, run: (c: Redis) => Promise<T>): Promise<T> => {
    client.on('error', () => {});
    try {
      return await run(client);
    } finally {
      client.disconnect();
    }
  };
  const masterPort = async () => {
    const reply = (await ask(sentinelClient(), (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME))) as [string, string] | null;
    if (!reply) throw new Error('the sentinel knows no primary');
    return Number(reply[1]);
  };
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`test sentinel: ${what} did not happen within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const setup: TestRedisSentinel = {
    name: NAME,
    sentinels: [`127.0.0.1:${sentinelPort}`],
    sentinelPort,
    dataPorts: [primary, replica],
    password,
    sentinelPassword,
    masterPort,
    async kill(port) {
      await kill(children.get(port));
    },
    async restart(port) {
      await launch(port);
    },
    async waitForFailover(oldPort, timeoutMs = 20_000) {
      let port = oldPort;
      await until(
        'a failover',
        async () => {
          port = await masterPort();
          if (port === oldPort) return false;
          return ask(data(port), async (c) => ((await c.info('replication')) as string).includes('role:master'));
        },
        timeoutMs,
      );
      return port;
    },
    async stop() {
      await Promise.all([...children.values()].map((c) => kill(c)));
      await rm(root, { recursive: true, force: true });
    },
  };

  try {
    await launch(primary);
    await launch(replica, primary);
    await until('replica sync', () => ask(data(replica), async (c) => ((await c.info('replication')) as string).includes('master_link_status:up')), 10_000);
    const conf = [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${root}`,
      `sentinel monitor ${NAME} 127.0.0.1 ${primary} 1`,
      `sentinel down-after-milliseconds ${NAME} 1000`,
      `sentinel failover-timeout ${NAME} 3000`,
      `sentinel parallel-syncs ${NAME} 1`,
      ...(password ? [`sentinel auth-pass ${NAME} ${password}`] : []),
      ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
    ];
    const file = join(root, 'sentinel.conf');
    await writeFile(file, `${conf.join('\n')}\n`);
    children.set(sentinelPort, await spawnRedis([file, '--sentinel'], /Sentinel ID is|monitor master/));
    // A failover needs a replica the sentinel knows and considers healthy.
    await until(
      'the sentinel discovering the replica',
      () =>
        ask(sentinelClient(), async (c) => {
          const replicas = (await c.call('SENTINEL', 'REPLICAS', NAME)) as string[][];
          return replicas.some((fields) => fields.includes(String(replica)) && !fields.some((f) => /s_down|disconnected/.test(f)));
        }),
      15_000,
    );
  } catch (err) {
    await setup.stop();
    throw err;
  }
  return setup;
}
