import { register, type RegistrationEvent } from '@wayfinder/adapters';
import { intOption, parseCommandArgs, stringOption } from '../args.js';
import { type Command, UsageError } from '../io.js';

export const REGISTER_USAGE =
  'wayfinder register <registry-url> --service S --address A --port P [--ttl 10] [--id ID] [--zone Z] [--weight W] [--drain-ms 2000]';

/**
 * Registers an endpoint with a Wayfinder HTTP registry and keeps it registered (renewals,
 * re-registration after a registry restart) until SIGINT/SIGTERM; then marks it terminating,
 * waits the drain period and deregisters. `<registry-url>` is `http://host:port` (or
 * `registry+http://host:port`). A bearer token is read from WAYFINDER_REGISTRY_TOKEN.
 */
export const registerCommand: Command = async (args, io) => {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      service: { type: 'string' },
      address: { type: 'string' },
      port: { type: 'string' },
      ttl: { type: 'string' },
      id: { type: 'string' },
      zone: { type: 'string' },
      weight: { type: 'string' },
      'drain-ms': { type: 'string' },
    },
    REGISTER_USAGE,
  );
  if (positionals.length !== 1) throw new UsageError(`${positionals.length === 0 ? 'missing <registry-url>' : `unexpected argument "${positionals[1]}"`}\nusage: ${REGISTER_USAGE}`);
  const service = stringOption(values.service);
  const address = stringOption(values.address);
  if (!service) throw new UsageError(`missing --service\nusage: ${REGISTER_USAGE}`);
  if (!address) throw new UsageError(`missing --address\nusage: ${REGISTER_USAGE}`);
  if (values.port === undefined) throw new UsageError(`missing --port\nusage: ${REGISTER_USAGE}`);
  const port = intOption('port', values.port, 0);
  const ttlSeconds = intOption('ttl', values.ttl, 10);
  const drainMs = intOption('drain-ms', values['drain-ms'], 2000);
  const id = stringOption(values.id);
  const zone = stringOption(values.zone);
  const weight = values.weight === undefined ? undefined : intOption('weight', values.weight, 1);
  const token = io.env.WAYFINDER_REGISTRY_TOKEN;
  const registration = register({
    registry: positionals[0]!,
    service,
    endpoint: { address, port, ...(id ? { id } : {}), ...(zone ? { zone } : {}), ...(weight !== undefined ? { weight } : {}) },
    ttlSeconds,
    drainMs,
    ...(token ? { token } : {}),
  });
  const unsubscribe = registration.subscribe((event: RegistrationEvent) => io.stdout.write(`${describe(event, registration.id, service)}\n`));
  // The registration's timers are unref'ed; this keeps the command alive until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await registration.close();
  } finally {
    clearInterval(keepAlive);
    unsubscribe();
  }
  return 0;
};

function describe(event: RegistrationEvent, id: string, service: string): string {
  switch (event.type) {
    case 'registered':
      return event.created ? `registered ${id} in ${service}` : `renewed ${id}`;
    case 'error':
      return `error: ${event.error.message}`;
    case 'terminating':
      return `terminating ${id} (draining)`;
    case 'deregistered':
      return `deregistered ${id}`;
  }
}
