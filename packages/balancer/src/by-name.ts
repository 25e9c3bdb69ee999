import { type BalancerPolicy, InvalidOptionError } from '@wayfinder/core';
import { consistentHash } from './consistent-hash.js';
import { leastRequest } from './least-request.js';
import { maglev } from './maglev.js';
import { peakEwma } from './peak-ewma.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { sticky } from './sticky.js';

export const POLICY_NAMES = ['random', 'round-robin', 'least-request', 'peak-ewma', 'sticky', 'consistent-hash', 'maglev'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/**
 * A policy with default options from its short name (for the CLI and configuration files).
 *
 * @example
 * policyByName('peak-ewma').create();
 */
export function policyByName(name: string): BalancerPolicy {
  switch (name) {
    case 'random':
      return random();
    case 'round-robin':
      return roundRobin();
    case 'least-request':
      return leastRequest();
    case 'peak-ewma':
      return peakEwma();
    case 'sticky':
      return sticky();
    case 'consistent-hash':
      return consistentHash();
    case 'maglev':
      return maglev();
    default:
      throw new InvalidOptionError('balancer', name, `must be one of ${POLICY_NAMES.join(', ')}`);
  }
}
