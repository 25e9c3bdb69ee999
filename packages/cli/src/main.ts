import { isWayfinderError } from '@wayfinder/core';
import { type CliIO, type Command, UsageError } from './io.js';
import { resolveCommand, RESOLVE_USAGE } from './commands/resolve.js';
import { watchCommand, WATCH_USAGE } from './commands/watch.js';
import { pickCommand, PICK_USAGE } from './commands/pick.js';
import { registryCommand, REGISTRY_USAGE } from './commands/registry.js';
import { registerCommand as registerEndpointCommand, REGISTER_USAGE } from './commands/register.js';

/** Subcommands; each lives in `commands/<name>.ts`. */
const COMMANDS: Record<string, { run: Command; usage: string }> = {
  resolve: { run: resolveCommand, usage: RESOLVE_USAGE },
  watch: { run: watchCommand, usage: WATCH_USAGE },
  pick: { run: pickCommand, usage: PICK_USAGE },
  registry: { run: registryCommand, usage: REGISTRY_USAGE },
  register: { run: registerEndpointCommand, usage: REGISTER_USAGE },
};

export const USAGE = `usage: wayfinder <command> [options]\n\n${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}\n`;

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 the target could not be resolved (or another
 * runtime failure), 2 usage errors and bad targets. User errors print one line, never a stack.
 */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`wayfinder: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`wayfinder ${name}: ${error.message}\n`);
      return 2;
    }
    if (isWayfinderError(error)) {
      const usage = error.code === 'WF_ERR_INVALID_TARGET' || error.code === 'WF_ERR_UNSUPPORTED_SCHEME' || error.code === 'WF_ERR_INVALID_OPTION';
      io.stderr.write(`wayfinder ${name}: ${error.message}\n`);
      return usage ? 2 : 1;
    }
    if (io.signal.aborted) return 130;
    io.stderr.write(`wayfinder ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** Adds a subcommand (used by `commands/*.ts` files of other issues through this one table). */
export function registerCommand(name: string, run: Command, usage: string): void {
  COMMANDS[name] = { run, usage };
}
