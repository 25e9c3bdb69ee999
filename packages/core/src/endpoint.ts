import { z } from 'zod';
import { InvalidEndpointError } from './errors.js';

/**
 * One network endpoint of a service: an address and port plus what the balancer needs to know.
 *
 * Conditions follow Kubernetes EndpointSlice semantics
 * (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions):
 * - `ready`: may receive new traffic. Absent means true, except that a terminating endpoint
 *   given no explicit `ready` is not ready (what the EndpointSlice controller publishes).
 * - `serving`: ready regardless of terminating. Absent means true.
 * - `terminating`: being shut down. Absent means false.
 *
 * Endpoints are plain frozen objects; compare them by `id`.
 */
export interface Endpoint {
  /** Stable identity across snapshots; balancer state is keyed by it. Default `address:port`. */
  readonly id: string;
  /** An IPv4/IPv6 address or a host name to connect to. */
  readonly address: string;
  /** The port calls go to (chosen by port name where the registry has several). */
  readonly port: number;
  /** Every named port the registry publishes for this endpoint. */
  readonly ports: Readonly<Record<string, number>> | null;
  /** The name to send as `Host` and TLS server name when `address` is an IP. */
  readonly hostname: string | null;
  /** Relative share for weighted policies (SRV weight, registry weight). Default 1; 0 = only when nothing else. */
  readonly weight: number;
  /** Failover group; lower is preferred (SRV priority). Default 0. */
  readonly priority: number;
  readonly zone: string | null;
  readonly node: string | null;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  /** Topology hints (Kubernetes `hints.forZones` / `forNodes`), when the registry provides them. */
  readonly hints: EndpointHints | null;
  /** Free data from the registry (e.g. Kubernetes `targetRef`, etcd lease). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface EndpointHints {
  readonly forZones?: readonly string[];
  readonly forNodes?: readonly string[];
}

const MAX_LABEL = 253;

/**
 * The zod schema of an endpoint as it arrives from outside (registries, files, the HTTP registry
 * protocol). Parsing it yields a normalized {@link Endpoint} with every default applied.
 */
export const endpointInputSchema = z
  .object({
    id: z.string().min(1).max(512).optional(),
    address: z.string().min(1).max(MAX_LABEL),
    port: z.number().int().min(1).max(65535),
    ports: z.record(z.string().max(63), z.number().int().min(1).max(65535)).nullish(),
    hostname: z.string().min(1).max(MAX_LABEL).nullish(),
    weight: z.number().finite().min(0).max(1_000_000).optional(),
    priority: z.number().int().min(0).max(65535).optional(),
    zone: z.string().max(MAX_LABEL).nullish(),
    node: z.string().max(MAX_LABEL).nullish(),
    ready: z.boolean().nullish(),
    serving: z.boolean().nullish(),
    terminating: z.boolean().nullish(),
    hints: z
      .object({
        forZones: z.array(z.string().max(MAX_LABEL)).max(64).readonly().optional(),
        forNodes: z.array(z.string().max(MAX_LABEL)).max(64).readonly().optional(),
      })
      .nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
  })
  .refine((e) => !/\s/.test(e.address), { message: 'address must not contain whitespace', path: ['address'] });

/** What a source or user may give: everything but `address` and `port` is optional. */
export type EndpointInput = z.input<typeof endpointInputSchema>;

/**
 * Validates and normalizes one endpoint. Throws {@link InvalidEndpointError} naming the field
 * that is wrong (`where` prefixes the path, e.g. `endpoints[3]`).
 */
export function parseEndpoint(input: unknown, where = 'endpoint'): Endpoint {
  const result = endpointInputSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = [where, ...issue.path.map(String)].join('.');
    throw new InvalidEndpointError(`${path}: ${issue.message}`, path, { cause: result.error });
  }
  return normalize(result.data);
}

/** Builds an endpoint from already-typed parts (adapters), applying the same defaults. */
export function createEndpoint(input: EndpointInput): Endpoint {
  return parseEndpoint(input);
}

function normalize(e: z.output<typeof endpointInputSchema>): Endpoint {
  const terminating = e.terminating ?? false;
  const hints =
    e.hints && (e.hints.forZones || e.hints.forNodes)
      ? Object.freeze({
          ...(e.hints.forZones ? { forZones: Object.freeze([...e.hints.forZones]) } : {}),
          ...(e.hints.forNodes ? { forNodes: Object.freeze([...e.hints.forNodes]) } : {}),
        })
      : null;
  return Object.freeze({
    id: e.id ?? endpointAddressKey(e.address, e.port),
    address: e.address,
    port: e.port,
    ports: e.ports ? Object.freeze({ ...e.ports }) : null,
    hostname: e.hostname ?? null,
    weight: e.weight ?? 1,
    priority: e.priority ?? 0,
    zone: e.zone ?? null,
    node: e.node ?? null,
    ready: e.ready ?? !terminating,
    serving: e.serving ?? true,
    terminating,
    hints,
    metadata: Object.freeze({ ...(e.metadata ?? {}) }),
  });
}

/** `address:port`, with IPv6 addresses in brackets (`[::1]:80`). */
export function endpointAddressKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** True when two endpoints carry the same data (used by the diff helper). */
export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  if (a === b) return true;
  return (
    a.id === b.id &&
    a.address === b.address &&
    a.port === b.port &&
    a.hostname === b.hostname &&
    a.weight === b.weight &&
    a.priority === b.priority &&
    a.zone === b.zone &&
    a.node === b.node &&
    a.ready === b.ready &&
    a.serving === b.serving &&
    a.terminating === b.terminating &&
    JSON.stringify(a.ports) === JSON.stringify(b.ports) &&
    JSON.stringify(a.hints) === JSON.stringify(b.hints) &&
    JSON.stringify(a.metadata) === JSON.stringify(b.metadata)
  );
}

/**
 * The stable JSON shape of an endpoint printed by the CLI (`--json`) and used by the HTTP
 * registry protocol. More fields may be added; none are removed.
 */
export function endpointToJSON(e: Endpoint): {
  id: string;
  address: string;
  port: number;
  hostname: string | null;
  weight: number;
  priority: number;
  zone: string | null;
  node: string | null;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
} {
  return {
    id: e.id,
    address: e.address,
    port: e.port,
    hostname: e.hostname,
    weight: e.weight,
    priority: e.priority,
    zone: e.zone,
    node: e.node,
    ready: e.ready,
    serving: e.serving,
    terminating: e.terminating,
  };
}
