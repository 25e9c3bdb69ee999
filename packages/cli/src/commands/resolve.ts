import { createResolver } from '@wayfinder/core';
import { intOption, parseCommandArgs } from '../args.js';
import { formatSnapshotJSON, formatSnapshotTable } from '../format.js';
import { type Command, UsageError } from '../io.js';
import { cliSchemes } from '../schemes.js';

export const RESOLVE_USAGE = 'wayfinder resolve <target> [--json] [--timeout-ms N]';

/** Waits for the first snapshot of a target, prints it, exits 0 (1 on timeout). */
export const resolveCommand: Command = async (args, io) => {
  const { values, positionals } = parseCommandArgs(
    args,
    { json: { type: 'boolean' }, 'timeout-ms': { type: 'string' } },
    RESOLVE_USAGE,
  );
  const target = onlyTarget(positionals, RESOLVE_USAGE);
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 10_000);
  const resolver = createResolver({ target, schemes: cliSchemes, env: io.env });
  try {
    const state = await resolver.ready({ timeoutMs, signal: io.signal });
    io.stdout.write(values.json ? formatSnapshotJSON(state) : formatSnapshotTable(state));
    return 0;
  } finally {
    await resolver.close();
  }
};

export function onlyTarget(positionals: string[], usage: string): string {
  if (positionals.length !== 1) {
    throw new UsageError(`${positionals.length === 0 ? 'missing <target>' : `unexpected argument "${positionals[1]}"`}\nusage: ${usage}`);
  }
  return positionals[0]!;
}
