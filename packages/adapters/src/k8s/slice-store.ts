import { type Endpoint, endpointsEqual } from '@wayfinder/core';
import { mergeDuplicates, type PortChoice, type SliceContribution } from './parse.js';

/** What applying one slice did to the merged set. */
export interface SliceChanges {
  readonly upsert: Endpoint[];
  readonly remove: string[];
}

/**
 * The endpoints of one Service, merged from all its EndpointSlices. Each slice's contribution is
 * kept apart, with an index from endpoint id to the slices that list it, so an update of one
 * slice touches only that slice's endpoints (and the few other slices that list the same
 * address during a move), never the other slices.
 */
export interface SliceStore {
  /** Replaces (or, with `null`, deletes) one slice; returns the merged endpoints it changed. */
  apply(sliceName: string, contribution: SliceContribution | null): SliceChanges;
  /** The current contribution of a slice (its endpoints are reused when an update leaves them as they were). */
  get(sliceName: string): SliceContribution | undefined;
  /** Every merged endpoint (O(N); used after a list). */
  endpoints(): Endpoint[];
  /** Port choices of the slices that list endpoints, for the missing-port message. */
  portChoices(): PortChoice[];
  readonly sliceCount: number;
}

export function createSliceStore(): SliceStore {
  const slices = new Map<string, SliceContribution>();
  const byId = new Map<string, Map<string, Endpoint>>();

  const merged = (id: string): Endpoint | undefined => {
    const sources = byId.get(id);
    if (!sources || sources.size === 0) return undefined;
    if (sources.size === 1) return sources.values().next().value;
    // Order by slice name so the merge never depends on arrival order.
    return mergeDuplicates([...sources.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, e]) => e));
  };

  return {
    apply(sliceName, contribution) {
      const before = slices.get(sliceName)?.endpoints;
      const after = contribution?.endpoints;
      // Entries whose endpoint object is the same before and after (reused, unchanged) leave the
      // merged set as it is: only the others are touched, so one changed entry costs O(1) here.
      const touched = new Map<string, Endpoint | undefined>();
      if (before) {
        for (const [id, endpoint] of before) {
          if (after?.get(id) === endpoint) continue;
          touched.set(id, merged(id));
          const sources = byId.get(id)!;
          sources.delete(sliceName);
          if (sources.size === 0) byId.delete(id);
        }
      }
      if (contribution) {
        slices.set(sliceName, contribution);
        for (const [id, endpoint] of contribution.endpoints) {
          if (before?.get(id) === endpoint) continue;
          if (!touched.has(id)) touched.set(id, merged(id));
          let sources = byId.get(id);
          if (!sources) byId.set(id, (sources = new Map()));
          sources.set(sliceName, endpoint);
        }
      } else {
        slices.delete(sliceName);
      }
      const upsert: Endpoint[] = [];
      const remove: string[] = [];
      for (const [id, old] of touched) {
        const e = merged(id);
        if (!e) {
          if (old) remove.push(id);
        } else if (!old || !endpointsEqual(old, e)) {
          upsert.push(e);
        }
      }
      return { upsert, remove };
    },
    get(sliceName) {
      return slices.get(sliceName);
    },
    endpoints() {
      const out: Endpoint[] = [];
      for (const id of byId.keys()) out.push(merged(id)!);
      return out;
    },
    portChoices() {
      return [...slices.values()].map((s) => s.port);
    },
    get sliceCount() {
      return slices.size;
    },
  };
}
