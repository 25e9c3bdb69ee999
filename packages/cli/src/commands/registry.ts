import { createRegistryServer, DEFAULT_REGISTRY_HOST, DEFAULT_REGISTRY_PORT, DEFAULT_RESTART_GRACE_MS } from '@wayfinder/adapters';
import { intOption, parseCommandArgs, stringOption } from '../args.js';
import { type Command, UsageError } from '../io.js';

export const REGISTRY_USAGE = 'wayfinder registry [--host 127.0.0.1] [--port 7070] [--heartbeat-ms 5000] [--restart-grace-ms 5000]';

/**
 * Runs the in-memory dev registry (docs/http-registry-protocol.md) until SIGINT/SIGTERM.
 * A bearer token is read from WAYFINDER_REGISTRY_TOKEN (never from the command line, which
 * other users can see in the process list).
 */
export const registryCommand: Command = async (args, io) => {
  const { values, positionals } = parseCommandArgs(args, { host: { type: 'string' }, port: { type: 'string' }, 'heartbeat-ms': { type: 'string' }, 'restart-grace-ms': { type: 'string' } }, REGISTRY_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\nusage: ${REGISTRY_USAGE}`);
  const port = intOption('port', values.port, DEFAULT_REGISTRY_PORT);
  if (port > 65535) throw new UsageError(`--port must be 0-65535, got ${port}`);
  const heartbeatIntervalMs = intOption('heartbeat-ms', values['heartbeat-ms'], 5000);
  const restartGraceMs = intOption('restart-grace-ms', values['restart-grace-ms'], DEFAULT_RESTART_GRACE_MS);
  const token = io.env.WAYFINDER_REGISTRY_TOKEN;
  const server = createRegistryServer({ host: stringOption(values.host) ?? DEFAULT_REGISTRY_HOST, port, heartbeatIntervalMs, restartGraceMs, ...(token ? { token } : {}) });
  if (io.signal.aborted) return 130;
  await server.listen();
  io.stdout.write(`wayfinder registry listening on ${server.url} (epoch ${server.store.epoch}${token ? ', bearer token required' : ''})\n`);
  await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  io.stdout.write('wayfinder registry stopped\n');
  return 0;
};
