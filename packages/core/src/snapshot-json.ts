import { endpointToJSON } from './endpoint.js';
import type { ResolverState } from './resolver.js';

/**
 * The stable JSON shape of a snapshot, printed one per line by `wayfinder resolve|watch --json`:
 * `{"target","revision","stale","endpoints":[…]}` with endpoints sorted by address (as text),
 * then port. More fields may be added; none are removed.
 */
export interface SnapshotJSON {
  target: string;
  revision: string;
  stale: boolean;
  endpoints: ReturnType<typeof endpointToJSON>[];
}

export function snapshotToJSON(state: ResolverState): SnapshotJSON {
  return {
    target: state.target,
    revision: state.endpoints.revision,
    stale: state.stale,
    endpoints: state.endpoints.endpoints.map(endpointToJSON),
  };
}
