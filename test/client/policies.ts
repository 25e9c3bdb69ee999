import type { BalancerPolicy, CallOutcome, Endpoint, PickContext } from '@wayfinder/core';
import { NoEndpointsError } from '@wayfinder/core';

/** What a recording policy saw. */
export interface PolicyLog {
  picks: { endpoint: string; exclude: string[]; affinityKey: string | undefined }[];
  starts: string[];
  ends: { endpoint: string; outcome: CallOutcome }[];
  builds: number;
}

/**
 * A deterministic test policy: picks the first endpoint (in `order` of ports, else snapshot
 * order) that is not excluded, and records every pick, start and end.
 */
export function orderedPolicy(order: number[] = []): BalancerPolicy & { log: PolicyLog } {
  const log: PolicyLog = { picks: [], starts: [], ends: [], builds: 0 };
  const rank = (e: Endpoint) => {
    const i = order.indexOf(e.port);
    return i < 0 ? order.length : i;
  };
  return {
    name: 'ordered',
    log,
    create: () => ({
      build(set) {
        log.builds++;
        const list = [...set.endpoints].sort((a, b) => rank(a) - rank(b));
        return {
          pick(context?: PickContext) {
            if (list.length === 0) return { type: 'unavailable', error: new NoEndpointsError('empty') };
            const endpoint = list.find((e) => !context?.exclude?.has(e.id)) ?? list[0]!;
            log.picks.push({ endpoint: endpoint.id, exclude: [...(context?.exclude ?? [])], affinityKey: context?.affinityKey });
            return {
              type: 'endpoint',
              endpoint,
              panic: false,
              onStart: () => log.starts.push(endpoint.id),
              onEnd: (outcome: CallOutcome) => log.ends.push({ endpoint: endpoint.id, outcome }),
            };
          },
        };
      },
    }),
  };
}
