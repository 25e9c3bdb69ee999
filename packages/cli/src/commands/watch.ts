import { createResolver, type ResolverState } from '@wayfinder/core';
import { intOption, parseCommandArgs } from '../args.js';
import { formatSnapshotJSON, formatSnapshotTable } from '../format.js';
import type { Command } from '../io.js';
import { cliSchemes } from '../schemes.js';
import { onlyTarget } from './resolve.js';

export const WATCH_USAGE = 'wayfinder watch <target> [--json] [--count N] [--timeout-ms N]';

/**
 * Prints one snapshot per change (a change of `stale` alone counts) until interrupted or until
 * `--count` snapshots were printed. `--timeout-ms` bounds the wait for the first snapshot only.
 */
export const watchCommand: Command = async (args, io) => {
  const { values, positionals } = parseCommandArgs(
    args,
    { json: { type: 'boolean' }, count: { type: 'string' }, 'timeout-ms': { type: 'string' } },
    WATCH_USAGE,
  );
  const target = onlyTarget(positionals, WATCH_USAGE);
  const count = intOption('count', values.count, Number.POSITIVE_INFINITY);
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 30_000);
  const resolver = createResolver({ target, schemes: cliSchemes, env: io.env });
  const stop = () => void resolver.close();
  io.signal.addEventListener('abort', stop, { once: true });
  try {
    await resolver.ready({ timeoutMs, signal: io.signal });
    let printed = 0;
    let last: ResolverState | undefined;
    for await (const state of resolver) {
      if (state === last) continue;
      last = state;
      io.stdout.write(values.json ? formatSnapshotJSON(state) : formatSnapshotTable(state));
      if (++printed >= count) break;
      if (io.signal.aborted) break;
    }
    return 0;
  } finally {
    io.signal.removeEventListener('abort', stop);
    await resolver.close();
  }
};
