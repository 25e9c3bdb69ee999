import { createEndpoint, type Endpoint } from '../endpoint.js';
import { InvalidTargetError } from '../errors.js';
import type { Source } from '../source.js';
import type { SourceFactory } from '../target.js';
import { parseHostPort } from './host-port.js';

/**
 * `static://10.0.0.1:8080,10.0.0.2:8080,[::1]:9090`: a fixed list (a selector-less Service).
 * Listed once; never refreshed.
 */
export function staticSource(target: string, endpoints: readonly Endpoint[]): Source {
  const list = Object.freeze([...endpoints]);
  return {
    describe: () => target,
    list: async ({ signal }) => {
      signal.throwIfAborted();
      return { endpoints: list, revision: '1', refreshAfterMs: Number.POSITIVE_INFINITY };
    },
  };
}

export const staticSourceFactory: SourceFactory = (target) => {
  if (target.path !== '' && target.path !== '/') throw new InvalidTargetError(target.raw, `unexpected path "${target.path}" (expected static://host:port[,host:port…])`);
  const items = target.authority.split(',').filter((s) => s !== '');
  if (items.length === 0) throw new InvalidTargetError(target.raw, 'lists no endpoints (expected static://host:port[,host:port…])');
  const seen = new Set<string>();
  const endpoints = items.map((item) => {
    const { host, port } = parseHostPort(item, target.raw);
    const endpoint = createEndpoint({ address: host, port });
    if (seen.has(endpoint.id)) throw new InvalidTargetError(target.raw, `lists ${endpoint.id} twice`);
    seen.add(endpoint.id);
    return endpoint;
  });
  return staticSource(target.raw, endpoints);
};
