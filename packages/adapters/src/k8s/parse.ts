import { createEndpoint, type Endpoint, InvalidEndpointError } from '@wayfinder/core';
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
  // Entries are validated one by one in sliceToEndpoints, and only when they changed.
  endpoints: z.array(z.unknown()).nullish(),
  ports: z.array(slicePortSchema).nullish(),
});

/** One EndpointSlice as far as Wayfinder reads it (entries not yet validated). */
export type EndpointSlice = z.infer<typeof endpointSliceSchema>;
/** One validated entry of `endpoints`. */
export type SliceEntry = z.infer<typeof sliceEndpointSchema>;

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
  /** Validated entries and their endpoints by first address, so an update rebuilds only changed entries. */
  readonly byAddress: ReadonlyMap<string, { readonly entry: SliceEntry; readonly endpoint: Endpoint }>;
}

/**
 * Turns one slice into endpoints: one per endpoint entry, its first address (all addresses of an
 * entry are fungible, so clients may use the first), conditions defaulted as the API says
 * (`ready` absent → true; `serving` absent → `ready`; `terminating` absent → false). Entries equal
 * to the ones of `previous` keep their endpoint objects without being validated again. Throws
 * naming the entry when one is malformed.
 */
export function sliceToEndpoints(slice: EndpointSlice, portName: string | undefined, previous?: SliceContribution): SliceContribution {
  const port = choosePort(slice, portName);
  const endpoints = new Map<string, Endpoint>();
  const byAddress = new Map<string, { entry: SliceEntry; endpoint: Endpoint }>();
  if (!port.ok) return { endpoints, port, byAddress };
  const reusable = previous?.port.ok && previous.port.port === port.port && samePorts(previous.port.ports, port.ports) ? previous.byAddress : undefined;
  const raws = slice.endpoints ?? [];
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i] as { addresses?: unknown } | null;
    const first = Array.isArray(raw?.addresses) ? raw.addresses[0] : undefined;
    const cached = reusable && typeof first === 'string' ? reusable.get(first) : undefined;
    let item: { entry: SliceEntry; endpoint: Endpoint };
    if (cached && sameEntry(raw, cached.entry)) {
      item = cached;
    } else {
      const parsed = sliceEndpointSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new InvalidEndpointError(`endpoints[${i}].${issue.path.map(String).join('.')}: ${issue.message}`, `endpoints[${i}]`, { cause: parsed.error });
      }
      item = { entry: parsed.data, endpoint: entryToEndpoint(parsed.data, port) };
    }
    byAddress.set(item.entry.addresses[0]!, item);
    const copy = endpoints.get(item.endpoint.id);
    endpoints.set(item.endpoint.id, copy ? mergeDuplicates([copy, item.endpoint]) : item.endpoint);
  }
  return { endpoints, port, byAddress };
}

function entryToEndpoint(entry: SliceEntry, port: { port: number; ports: Readonly<Record<string, number>> }): Endpoint {
  const ready = entry.conditions?.ready ?? true;
  return createEndpoint({
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
}

function samePorts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

const norm = (v: unknown) => (v === null ? undefined : v);

/** True when unvalidated `raw` carries the same fields Wayfinder reads as the validated `entry`. */
function sameEntry(raw: unknown, entry: SliceEntry): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const r = raw as Record<string, unknown>;
  const addresses = r.addresses as unknown[];
  if (!Array.isArray(addresses) || addresses.length !== entry.addresses.length) return false;
  for (let i = 0; i < addresses.length; i++) if (addresses[i] !== entry.addresses[i]) return false;
  if (norm(r.hostname) !== norm(entry.hostname) || norm(r.nodeName) !== norm(entry.nodeName) || norm(r.zone) !== norm(entry.zone)) return false;
  const c = norm(r.conditions) as Record<string, unknown> | undefined;
  const ec = entry.conditions ?? undefined;
  if ((c === undefined) !== (ec === undefined)) return false;
  if (c && ec && (typeof c !== 'object' || norm(c.ready) !== norm(ec.ready) || norm(c.serving) !== norm(ec.serving) || norm(c.terminating) !== norm(ec.terminating))) return false;
  const t = norm(r.targetRef) as Record<string, unknown> | undefined;
  const et = entry.targetRef ?? undefined;
  if ((t === undefined) !== (et === undefined)) return false;
  if (t && et && (typeof t !== 'object' || t.kind !== et.kind || t.namespace !== et.namespace || t.name !== et.name || t.uid !== et.uid || t.apiVersion !== et.apiVersion)) return false;
  const h = norm(r.hints) as Record<string, unknown> | undefined;
  const eh = entry.hints ?? undefined;
  if ((h === undefined) !== (eh === undefined)) return false;
  if (h && eh && (typeof h !== 'object' || !sameNames(h.forZones, eh.forZones) || !sameNames(h.forNodes, eh.forNodes))) return false;
  return true;
}

function sameNames(raw: unknown, names: readonly { name: string }[] | null | undefined): boolean {
  if (norm(raw) === undefined || names == null) return norm(raw) === undefined && names == null;
  if (!Array.isArray(raw) || raw.length !== names.length) return false;
  return raw.every((n, i) => typeof n === 'object' && n !== null && (n as { name?: unknown }).name === names[i]!.name);
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

