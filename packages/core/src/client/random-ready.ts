import type { Balancer, BalancerContext, BalancerPolicy, CallOutcome, PickContext, PickResult, Picker } from '../balancer.js';
import type { Endpoint } from '../endpoint.js';
import type { EndpointSet } from '../endpoint-set.js';
import { NoEndpointsError } from '../errors.js';

/**
 * The client's default policy: uniform random over the ready endpoints, falling back to
 * serving-but-terminating ones when none is ready (kube-proxy's behaviour,
 * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#serving), and
 * avoiding `PickContext.exclude` while other endpoints remain.
 *
 * It keeps no state and learns nothing from outcomes; it exists so that core needs no policy
 * package. Production clients should pass a load-aware policy from `@wayfinder/balancer`
 * (`leastRequest()`, `peakEwma()`, with outlier detection).
 *
 * @example
 * createClient({ services, balancer: randomReady() });
 */
export function randomReady(): BalancerPolicy {
  return {
    name: 'random-ready',
    create(context: BalancerContext = {}): Balancer {
      const random = context.random ?? Math.random;
      return {
        build(set: EndpointSet): Picker {
          const ready = set.endpoints.filter((e) => e.ready);
          const usable = ready.length > 0 ? ready : set.endpoints.filter((e) => e.serving);
          const reason = set.size === 0 ? 'empty' : 'none-ready';
          return {
            pick(pickContext?: PickContext): PickResult {
              if (usable.length === 0) {
                return { type: 'unavailable', error: new NoEndpointsError(reason, context.target ? { target: context.target } : {}) };
              }
              return picked(choose(usable, pickContext?.exclude, random));
            },
          };
        },
      };
    },
  };
}

function choose(list: readonly Endpoint[], exclude: ReadonlySet<string> | undefined, random: () => number): Endpoint {
  if (exclude && exclude.size > 0) {
    const rest = list.filter((e) => !exclude.has(e.id));
    if (rest.length > 0) return rest[Math.floor(random() * rest.length)]!;
  }
  return list[Math.floor(random() * list.length)]!;
}

const noop = (): void => {};
function picked(endpoint: Endpoint): PickResult {
  return { type: 'endpoint', endpoint, panic: false, onStart: noop, onEnd: noop as (o: CallOutcome) => void };
}
