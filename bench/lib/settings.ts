/** Command-line settings shared by the benchmarks. */
export interface Settings {
  /** `--quick`: a ~1-minute smoke run (1 round, short runs, fewer samples). */
  quick: boolean;
  /** Proxy rounds (each runs every target once, interleaved). Default 3, quick 1. */
  rounds: number;
  /** Seconds per proxy load run. Default 10, quick 2. */
  durationS: number;
  /** Seconds of warm-up load per proxy target before the rounds. Default 3, quick 1. */
  warmupS: number;
  /** Concurrent connections of the load generator. Default 50. */
  connections: number;
  /** Fixed request rate (req/s) of the latency-at-equal-load runs. Default 1000. */
  rate: number;
  /** Seconds per fixed-rate run. Default 6, quick 2. */
  rateDurationS: number;
}

const SECTIONS = ['proxy', 'sessions', 'refresh', 'bundle', 'dpop'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Cli {
  settings: Settings;
  sections: Section[];
}

function numberFlag(args: string[], name: string): number | undefined {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  if (!arg) return undefined;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

export const USAGE = `usage: npm run bench -- [proxy|sessions|refresh|bundle|dpop ...] [--quick] [--rounds=N] [--duration=S] [--warmup=S] [--connections=N] [--rate=R] [--rate-duration=S]
  no section names: all five.  --quick: ~1-minute smoke run.`;

/** Parses `process.argv.slice(2)`. */
export function parseCli(argv: string[]): Cli {
  // pnpm passes a literal `--` through to the script.
  const args = argv.filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('-'));
  for (const name of names) if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`unknown section "${name}"\n${USAGE}`);
  const unknown = args.filter((a) => a.startsWith('-') && !/^--(quick|rounds=|duration=|warmup=|connections=|rate=|rate-duration=)/.test(a));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(' ')}\n${USAGE}`);
  return {
    settings: {
      quick,
      rounds: numberFlag(args, 'rounds') ?? (quick ? 1 : 3),
      durationS: numberFlag(args, 'duration') ?? (quick ? 2 : 10),
      warmupS: numberFlag(args, 'warmup') ?? (quick ? 1 : 3),
      connections: numberFlag(args, 'connections') ?? 50,
      rate: numberFlag(args, 'rate') ?? 1000,
      rateDurationS: numberFlag(args, 'rate-duration') ?? (quick ? 2 : 6),
    },
    sections: names.length ? (names as Section[]) : [...SECTIONS],
  };
}
