import { InvalidOptionError } from '@wayfinder/core';

/** Options of `pnpm demo`. Everything is bounded: duration, rate, concurrency. */
export interface DemoOptions {
  /** Run only the client half against this target (any scheme of core + adapters). */
  target: string | undefined;
  /** Path requested on the target's endpoints. */
  path: string;
  durationMs: number;
  /** Requests per second in all (one in five carries a conversation id as affinity key). */
  ratePerSecond: number;
  policy: 'peak-ewma' | 'least-request';
  /** Force plain lines even on a TTY. */
  plain: boolean;
  /** Print the summary as one JSON line (`SUMMARY {...}`) after the text summary. */
  json: boolean;
}

export const DEFAULT_DURATION_MS = 15_000;
export const MIN_DURATION_MS = 4000;
export const MAX_DURATION_MS = 600_000;
export const DEFAULT_RATE_PER_SECOND = 80;
export const MAX_RATE_PER_SECOND = 1000;

export const USAGE = `usage: pnpm demo [-- options]
  --target <target>     run only the client half against a real registry target
                        (e.g. registry+http://127.0.0.1:7070/agents, dns-srv://…, k8s://…, etcd://…)
  --path <path>         path requested on each endpoint (default /)
  --duration-ms <ms>    how long to run (default ${DEFAULT_DURATION_MS}, ${MIN_DURATION_MS}–${MAX_DURATION_MS})
  --rate <n>            requests per second (default ${DEFAULT_RATE_PER_SECOND}, at most ${MAX_RATE_PER_SECOND})
  --policy <name>       peak-ewma (default) or least-request
  --plain               plain lines instead of the live table, even on a terminal
  --json                also print the summary as one JSON line starting with SUMMARY`;

export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  const options: DemoOptions = {
    target: undefined,
    path: '/',
    durationMs: DEFAULT_DURATION_MS,
    ratePerSecond: DEFAULT_RATE_PER_SECOND,
    policy: 'peak-ewma',
    plain: false,
    json: false,
  };
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new InvalidOptionError(flag, undefined, 'needs a value');
      return v;
    };
    const int = (min: number, max: number) => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new InvalidOptionError(flag, raw, `must be an integer ${min}-${max}`);
      return n;
    };
    switch (flag) {
      case '--':
        break;
      case '-h':
      case '--help':
        return 'help';
      case '--target':
        options.target = value();
        break;
      case '--path':
        options.path = value();
        if (!options.path.startsWith('/')) throw new InvalidOptionError('--path', options.path, 'must start with /');
        break;
      case '--duration-ms':
        options.durationMs = int(MIN_DURATION_MS, MAX_DURATION_MS);
        break;
      case '--rate':
        options.ratePerSecond = int(1, MAX_RATE_PER_SECOND);
        break;
      case '--policy': {
        const p = value();
        if (p !== 'peak-ewma' && p !== 'least-request') throw new InvalidOptionError('--policy', p, 'must be peak-ewma or least-request');
        options.policy = p;
        break;
      }
      case '--plain':
        options.plain = true;
        break;
      case '--json':
        options.json = true;
        break;
      default:
        throw new InvalidOptionError(flag, arg, 'is not an option of the demo (see --help)');
    }
  }
  return options;
}
