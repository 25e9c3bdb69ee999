import type { AxiosInstance } from 'axios';
import type { WayfinderClient } from '../client/options.js';

/**
 * Makes an axios instance discovery-aware: its requests go through `client.fetch` (axios' own
 * `fetch` adapter with `env.fetch`), so they get the client's resolution, picking, outcome
 * reporting and retries. axios' behaviour and error shapes stay as they are: an HTTP error
 * status rejects with an `AxiosError` carrying `response`; a transport failure rejects with an
 * `AxiosError` (`ERR_NETWORK`, or the Wayfinder code such as `WF_ERR_NO_ENDPOINTS`) whose
 * `cause` is the underlying error. Hosts not in the client's `services` pass through.
 *
 * axios is an optional peer dependency of `@wayfinder/core`; this subpath is the only place
 * that uses it. Needs axios ≥ 1.7 (the `fetch` adapter).
 *
 * @example
 * import axios from 'axios';
 * import { withWayfinder } from '@wayfinder/core/axios';
 * const api = withWayfinder(axios.create({ baseURL: 'http://planner' }), client);
 * const { data } = await api.post('/v1/plan', { goal }, { headers: { 'Idempotency-Key': id } });
 *
 * @see https://axios-http.com/docs/req_config (`adapter`, `env.fetch`)
 */
export function withWayfinder<T extends AxiosInstance>(instance: T, client: WayfinderClient): T {
  const defaults = instance.defaults as unknown as { adapter?: unknown; env?: Record<string, unknown> };
  defaults.adapter = 'fetch';
  defaults.env = { ...(defaults.env ?? {}), fetch: client.fetch, Request, Response };
  return instance;
}
