import type { BalancerPolicy, PickResult } from '@wayfinder/core';

/**
 * Wraps a policy so every pick counts itself in `inFlight` (endpoint id → calls between
 * `onStart` and `onEnd`), for the live view. Uses only the public balancer contract.
 */
export function withInFlightCount(policy: BalancerPolicy, inFlight: Map<string, number>): BalancerPolicy {
  return {
    name: policy.name,
    create(context) {
      const balancer = policy.create(context);
      return {
        build(set) {
          const picker = balancer.build(set);
          return {
            pick(pickContext): PickResult {
              const result = picker.pick(pickContext);
              if (result.type !== 'endpoint') return result;
              const id = result.endpoint.id;
              let started = false;
              return {
                type: 'endpoint',
                endpoint: result.endpoint,
                panic: result.panic,
                onStart() {
                  started = true;
                  inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
                  result.onStart();
                },
                onEnd(outcome) {
                  if (started) {
                    started = false;
                    const n = (inFlight.get(id) ?? 1) - 1;
                    if (n > 0) inFlight.set(id, n);
                    else inFlight.delete(id);
                  }
                  result.onEnd(outcome);
                },
              };
            },
          };
        },
        close: () => balancer.close?.(),
      };
    },
  };
}
