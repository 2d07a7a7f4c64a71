/**
 * A real Redis Cluster for tests: 3 primaries + 3 replicas from the Debian
 * `redis-server` binary on loopback, built with `redis-cli --cluster create`.
 * Each node gets an append-only file (fsync always) in a temp directory, and
 * a small `cluster-node-timeout` so a killed primary fails over in seconds.
 * The cluster bus is port + 10000: both ports of every node are checked free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { isFree, kill, spawnRedis } from './redis.ts';

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNodeState {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** Flagged failed (`fail`) by the node asked. */
  failed: boolean;
  /** The primary's id, for a replica. */
  masterId: string | undefined;
  /** Slot ranges served (primaries). */
  slots: Array<[number, number]>;
}

/** A running test cluster (stop it at the end: its data directories are removed then). */
export interface TestRedisCluster {
  /** Every node's port. */
  ports: number[];
  /** Seed URLs of every node (`redis://[:password@]127.0.0.1:port`). */
  urls: string[];
  password: string | undefined;
  /** The nodes, as a live node sees them. */
  nodes(): Promise<ClusterNodeState[]>;
  /** The port of the primary that serves `key` now. */
  masterPortOf(key: string): Promise<number>;
  /** Kills the node on `port` (SIGKILL, like a crash). */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again (same data directory: it rejoins, as a replica after a failover). */
  restart(port: number): Promise<void>;
  /** Resolves once every live node says `cluster_state:ok` and every slot has a live, unfailed primary. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** A raw client to the node on `port` (disconnect it yourself). */
  connect(port: number): Redis;
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** `cluster-node-timeout`, ms. Default 1000. */
  nodeTimeout?: number;
  /** `requirepass` (and `masterauth`) of every node. Default none. */
  password?: string;
}

const MASTERS = 3;
const NODES = MASTERS * 2;

/** Six free ports in a row whose bus ports (+10000) are free too. */
async function clusterPorts(): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768+), bus ports included: no outgoing connection takes them meanwhile.
    const base = 10_000 + Math.floor(Math.random() * 1200) * 10;
    const ports = Array.from({ length: NODES }, (_, i) => base + i);
    const free = await Promise.all(ports.flatMap((p) => [isFree(p), isFree(p + 10_000)]));
    if (free.every(Boolean)) return ports;
  }
  throw new Error('no six free port pairs (port and port + 10000) found for a test Redis Cluster');
}

function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`redis-cli ${args.filter((a) => !a.startsWith('-a')).join(' ')} failed (${code}): ${output}`))));
  });
}

function parseNodes(text: string): ClusterNodeState[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.trim().split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1] ?? 0),
        role: flagList.includes('master') ? 'master' : 'replica',
        failed: flagList.includes('fail'),
        masterId: master === '-' ? undefined : master,
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [from, to = from] = s.split('-');
            return [Number(from), Number(to)] as [number, number];
          }),
      };
    });
}

/** Starts a 3 + 3 cluster and resolves once it is healthy. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const ports = await clusterPorts();
  const root = await mkdtemp(join(tmpdir(), 'portcullis-cluster-'));
  const { password } = options;
  const children = new Map<number, ChildProcess>();
  const launch = async (port: number) => {
    const dir = join(root, String(port));
    await mkdir(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
    args.push('--cluster-node-timeout', String(options.nodeTimeout ?? 1000), '--appendonly', 'yes', '--appendfsync', 'always', '--save', '');
    if (password) args.push('--requirepass', password, '--masterauth', password);
    children.set(port, await spawnRedis(args));
  };
  const auth = password ? ['-a', password, '--no-auth-warning'] : [];
  const connect = (port: number) => new Redis({ port, host: '127.0.0.1', ...(password ? { password } : {}), lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const alive = () => [...children.entries()].filter(([, c]) => c.exitCode === null && c.signalCode === null).map(([p]) => p);
  const ask = async <T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> => {
    const client = connect(port);
    client.on('error', () => {});
    try {
      return await run(client);
    } finally {
      client.disconnect();
    }
  };
  const nodes = async () => parseNodes(await ask(alive()[0]!, (c) => c.call('CLUSTER', 'NODES') as Promise<string>));

  const cluster: TestRedisCluster = {
    ports,
    urls: ports.map((p) => `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${p}`),
    password,
    nodes,
    async masterPortOf(key) {
      const slot = await ask(alive()[0]!, (c) => c.call('CLUSTER', 'KEYSLOT', key) as Promise<number>);
      const owner = (await nodes()).find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
      if (!owner) throw new Error(`no primary serves slot ${slot}`);
      return owner.port;
    },
    async kill(port) {
      await kill(children.get(port));
    },
    async restart(port) {
      await launch(port);
    },
    async waitHealthy(timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      let last: string | undefined;
      for (;;) {
        try {
          const live = alive();
          const states = await Promise.all(
            live.map((p) => ask(p, async (c) => ({ info: (await c.call('CLUSTER', 'INFO')) as string, nodes: parseNodes((await c.call('CLUSTER', 'NODES')) as string) }))),
          );
          const ok = states.every(({ info, nodes: seen }) => {
            if (!info.includes('cluster_state:ok')) return false;
            const served = seen.filter((n) => n.role === 'master' && !n.failed && live.includes(n.port)).reduce((sum, n) => sum + n.slots.reduce((s, [a, b]) => s + b - a + 1, 0), 0);
            return served === 16384 && seen.filter((n) => live.includes(n.port)).every((n) => !n.failed);
          });
          if (ok) return;
          last = states.map((s) => s.info.split('\n')[0]).join(' ');
        } catch (err) {
          last = (err as Error).message;
        }
        if (Date.now() > until) throw new Error(`the test cluster did not become healthy: ${last}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    connect,
    async stop() {
      await Promise.all([...children.values()].map((c) => kill(c)));
      await rm(root, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(ports.map(launch));
    await cli([...auth, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
    await cluster.waitHealthy();
    // Replicas in sync before any test kills a primary.
    await Promise.all(
      ports.map((p) =>
        ask(p, async (c) => {
          for (let i = 0; i < 100; i++) {
            const info = (await c.info('replication')) as string;
            if (info.includes('role:master') || info.includes('master_link_status:up')) return;
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new Error(`replica ${p} never synced`);
        }),
      ),
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
