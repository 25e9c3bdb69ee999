import { POLICY_NAMES, policyByName } from '@wayfinder/balancer';
import { createResolver, endpointToJSON } from '@wayfinder/core';
import { intOption, parseCommandArgs, stringOption } from '../args.js';
import { type Command, UsageError } from '../io.js';
import { cliSchemes } from '../schemes.js';
import { onlyTarget } from './resolve.js';

export const PICK_USAGE = `wayfinder pick <target> [--balancer ${POLICY_NAMES.join('|')}] [--key K] [-n N] [--json] [--timeout-ms N]`;

/**
 * Resolves a target once and prints N picks of a balancing policy (default round robin), one
 * per line: `address:port  id` or, with `--json`, the endpoint object in the snapshot's shape.
 * Exit 1 when a pick finds no endpoint.
 */
export const pickCommand: Command = async (args, io) => {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      balancer: { type: 'string', short: 'b' },
      key: { type: 'string', short: 'k' },
      n: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
    },
    PICK_USAGE,
  );
  const target = onlyTarget(positionals, PICK_USAGE);
  const name = stringOption(values.balancer) ?? 'round-robin';
  if (!(POLICY_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`--balancer must be one of ${POLICY_NAMES.join(', ')}, got "${name}"\nusage: ${PICK_USAGE}`);
  }
  const count = intOption('n', values.n, 1);
  const timeoutMs = intOption('timeout-ms', values['timeout-ms'], 10_000);
  const key = stringOption(values.key);
  const resolver = createResolver({ target, schemes: cliSchemes, env: io.env });
  const balancer = policyByName(name).create({ target });
  try {
    const state = await resolver.ready({ timeoutMs, signal: io.signal });
    const picker = balancer.build(state.endpoints);
    const context = key === undefined ? undefined : { affinityKey: key };
    for (let i = 0; i < count; i++) {
      const result = picker.pick(context);
      if (result.type === 'unavailable') {
        io.stderr.write(`wayfinder pick: ${result.error.message}\n`);
        return 1;
      }
      const e = result.endpoint;
      io.stdout.write(values.json ? `${JSON.stringify(endpointToJSON(e))}\n` : `${e.address}:${e.port}  ${e.id}${result.panic ? '  (panic)' : ''}\n`);
    }
    return 0;
  } finally {
    balancer.close?.();
    await resolver.close();
  }
};
