import { type Endpoint, type EndpointInput, type EndpointSet, type PickResult, createEndpoint, createEndpointSet } from '@wayfinder/core';

/** Endpoints `10.0.0.1:80`, `10.0.0.2:80`, … with optional per-endpoint overrides (tests and benchmarks). */
export function endpoints(count: number, extra: (i: number) => Partial<EndpointInput> = () => ({})): Endpoint[] {
  return Array.from({ length: count }, (_, i) =>
    createEndpoint({ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 80, id: `e${i}`, ...extra(i) }),
  );
}

export function setOf(list: Endpoint[], revision = '1'): EndpointSet {
  return createEndpointSet(list, { revision });
}

/** The id of a picked endpoint, or `!reason` when unavailable. */
export function idOf(result: PickResult): string {
  return result.type === 'endpoint' ? result.endpoint.id : `!${result.error.reason}`;
}
