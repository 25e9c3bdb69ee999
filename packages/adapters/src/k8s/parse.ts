import { createEndpoint, type Endpoint } from '@wayfinder/core';
import { z } from 'zod';

/**
 * Pure parsing of `discovery.k8s.io/v1` EndpointSlices into Wayfinder endpoints, with the Service
 * semantics of https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/ and the
 * API reference https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoint-slice-v1/.
 */

const nameRefSchema = z.object({ name: z.string() });

const sliceEndpointSchema = z.object({
  addresses: z.array(z.string()).min(1),
  conditions: z
    .object({ ready: z.boolean().nullish(), serving: z.boolean().nullish(), terminating: z.boolean().nullish() })
    .nullish(),
  hostname: z.string().nullish(),
  nodeName: z.string().nullish(),
  zone: z.string().nullish(),
  hints: z.object({ forZones: z.array(nameRefSchema).nullish(), forNodes: z.array(nameRefSchema).nullish() }).nullish(),
  targetRef: z
    .object({
      kind: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      uid: z.string().optional(),
      apiVersion: z.string().optional(),
    })
    .nullish(),
});

const slicePortSchema = z.object({
  name: z.string().nullish(),
  port: z.number().int().nullish(),
  protocol: z.string().nullish(),
  appProtocol: z.string().nullish(),
});

export const endpointSliceSchema = z.object({
  metadata: z.object({
    name: z.string().min(1),
    namespace: z.string().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).nullish(),
  }),
  addressType: z.string(),
  endpoints: z.array(sliceEndpointSchema).nullish(),
  ports: z.array(slicePortSchema).nullish(),
});

/** One EndpointSlice as far as Wayfinder reads it. */
export type EndpointSlice = z.infer<typeof endpointSliceSchema>;

export const endpointSliceListSchema = z.object({
  kind: z.string().optional(),
  metadata: z.object({ resourceVersion: z.string().min(1), continue: z.string().optional() }),
  items: z.array(endpointSliceSchema).nullish(),
});

export const watchEventSchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: z.record(z.string(), z.unknown()),
});

/** A `metav1.Status` as the API server sends it with errors and in ERROR watch events. */
export const statusSchema = z.object({
  kind: z.string().optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().int().optional(),
});
export type K8sStatus = z.infer<typeof statusSchema>;

export const bookmarkSchema = z.object({ metadata: z.object({ resourceVersion: z.string().min(1) }) });

/** The port an endpoint of `slice` is reached on, or the names that exist when it has none. */
export type PortChoice =
  | { readonly ok: true; readonly port: number; readonly ports: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly names: readonly string[]; readonly ambiguous: boolean };

/**
 * Picks the port by name, or the only port when `portName` is absent. A port whose `port` is
 * null (a headless Service without ports) cannot be connected to and counts as none.
 */
export function choosePort(slice: EndpointSlice, portName: string | undefined): PortChoice {
  const ports: Record<string, number> = {};
  const usable = (slice.ports ?? []).filter((p) => typeof p.port === 'number' && p.port >= 1 && p.port <= 65535);
  for (const p of usable) ports[p.name ?? ''] = p.port!;
  const names = usable.map((p) => p.name ?? '');
  if (portName === undefined) {
    if (usable.length === 1) return { ok: true, port: usable[0]!.port!, ports };
    return { ok: false, names, ambiguous: usable.length > 1 };
  }
  const found = usable.find((p) => (p.name ?? '') === portName);
  return found ? { ok: true, port: found.port!, ports } : { ok: false, names, ambiguous: false };
}

/** The endpoints one slice contributes, keyed by endpoint id (`address:port`). */
export interface SliceContribution {
  readonly endpoints: ReadonlyMap<string, Endpoint>;
  /** Set when the slice lists endpoints but not the wanted port. */
  readonly port: PortChoice;
}

/**
 * Turns one slice into endpoints: one per endpoint entry, its first address (all addresses of an
 * entry are fungible, so clients may use the first), conditions defaulted as the API says
 * (`ready` absent → true; `serving` absent → `ready`; `terminating` absent → false).
 */
export function sliceToEndpoints(slice: EndpointSlice, portName: string | undefined): SliceContribution {
  const port = choosePort(slice, portName);
  const endpoints = new Map<string, Endpoint>();
  if (!port.ok) return { endpoints, port };
  for (const entry of slice.endpoints ?? []) {
    const ready = entry.conditions?.ready ?? true;
    const endpoint = createEndpoint({
      address: entry.addresses[0]!,
      port: port.port,
      ports: port.ports,
      hostname: entry.hostname ?? null,
      zone: entry.zone ?? null,
      node: entry.nodeName ?? null,
      ready,
      serving: entry.conditions?.serving ?? ready,
      terminating: entry.conditions?.terminating ?? false,
      hints:
        entry.hints && (entry.hints.forZones || entry.hints.forNodes)
          ? {
              ...(entry.hints.forZones ? { forZones: entry.hints.forZones.map((z) => z.name) } : {}),
              ...(entry.hints.forNodes ? { forNodes: entry.hints.forNodes.map((n) => n.name) } : {}),
            }
          : null,
      metadata: entry.targetRef ? { targetRef: { ...entry.targetRef } } : {},
    });
    const previous = endpoints.get(endpoint.id);
    endpoints.set(endpoint.id, previous ? mergeDuplicates([previous, endpoint]) : endpoint);
  }
  return { endpoints, port };
}

/**
 * One endpoint from several entries with the same address and port (a pod moving between
 * slices): ready if any is ready, serving if any is serving, terminating only if all are. The
 * other fields come from the most available entry (ready, then serving), so the result does not
 * depend on which slice arrived first beyond that.
 */
export function mergeDuplicates(entries: readonly Endpoint[]): Endpoint {
  if (entries.length === 1) return entries[0]!;
  const rank = (e: Endpoint) => (e.ready ? 2 : e.serving ? 1 : 0);
  let best = entries[0]!;
  for (const e of entries) if (rank(e) > rank(best)) best = e;
  const ready = entries.some((e) => e.ready);
  const serving = entries.some((e) => e.serving);
  const terminating = entries.every((e) => e.terminating);
  if (best.ready === ready && best.serving === serving && best.terminating === terminating) return best;
  return Object.freeze({ ...best, ready, serving, terminating });
}

