import type { Dispatcher } from 'undici';
import type { CallOutcome, PickedEndpoint } from '../balancer.js';
import { ClosedError } from '../errors.js';
import { endpointAddressKey } from '../endpoint.js';
import { classifyError, classifyStatus, IDEMPOTENT_METHODS } from './classify.js';
import { attemptTarget, callSignal, type ClientCore, fetchIsIntercepted } from './client-core.js';
import { toLegacyHandler } from './handlers.js';
import type { WayfinderRequestInit } from './options.js';
import { fetchAttemptBody } from './request-body.js';
import { type AttemptResult, runCall } from './run-call.js';

// Node's own fetch, captured before any test patch, so the production path never recurses into
// a patched or wrapped global (e.g. `globalThis.fetch = client.fetch`).
const nativeFetch: typeof fetch = globalThis.fetch;

/** `client.fetch`: see {@link WayfinderClient.fetch}. */
export function createClientFetch(core: ClientCore): (input: string | URL | Request, init?: WayfinderRequestInit) => Promise<Response> {
  // Unmapped hosts go to the current global fetch, unless that is this very function
  // (`globalThis.fetch = client.fetch`), which would recurse.
  const passthrough = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    globalThis.fetch === wayfinderFetch ? nativeFetch(input, init) : globalThis.fetch(input, init);
  return wayfinderFetch;
  async function wayfinderFetch(input: string | URL | Request, init?: WayfinderRequestInit): Promise<Response> {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      return passthrough(input, init);
    }
    const route = core.routes.get(url.hostname.toLowerCase());
    if (!route) return passthrough(input, init);
    if (core.closed) throw new ClosedError('wayfinder client');

    const request = input instanceof Request ? new Request(input, init) : undefined;
    const method = (request?.method ?? init?.method ?? 'GET').toUpperCase();
    const idempotent = IDEMPOTENT_METHODS.has(method) || hasHeader(request?.headers ?? init?.headers, 'idempotency-key');
    const body = request ? undefined : fetchAttemptBody(init?.body);
    const { signal, deadlineAt, cleanup } = callSignal(core.clock, request?.signal ?? init?.signal, init?.timeoutMs ?? core.timeoutMs);
    const viaFetch = core.mode === 'fetch' || (core.mode === 'auto' && fetchIsIntercepted());
    try {
      return await runCall<Response>(
        {
          route,
          idempotent,
          canResend: body ? body.canResend : () => true,
          affinityKey: init?.affinityKey,
          signal: () => signal,
          abortReason: () => (signal?.aborted ? (signal.reason ?? new DOMException('aborted', 'AbortError')) : undefined),
          deadlineAt,
          resolveTimeoutMs: core.resolveTimeoutMs,
          retry: core.retryFor(init?.retry),
          budget: core.budgets.get(route),
          clock: core.clock,
        },
        async (pick, attempt) => {
          const target = attemptTarget(core, route, pick, url, attempt, () => signal?.aborted ?? false);
          let response: Response;
          if (viaFetch) {
            const endpointUrl = `${url.protocol}//${endpointAddressKey(pick.endpoint.address, pick.endpoint.port)}${url.pathname}${url.search}`;
            response = await reportedFetch(pick, target.onOutcome, () => signal?.aborted ?? false, core.clock, () =>
              request
                ? globalThis.fetch(new Request(endpointUrl, request.clone()), signal ? { signal } : {})
                : globalThis.fetch(endpointUrl, { ...init, body: body!.next() as BodyInit, ...(signal ? { signal } : {}) }),
            );
          } else {
            // Redirects to another origin leave the picked endpoint: they go through the
            // client's dispatcher (discovery for mapped hosts, a plain agent for the rest).
            const dispatcher = {
              dispatch: (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) =>
                String(opts.origin) === url.origin
                  ? core.transport.dispatch(target, opts, toLegacyHandler(handler))
                  : core.dispatcher().dispatch(opts, handler),
            };
            const extra = { dispatcher, ...(signal ? { signal } : {}) };
            response = await (request
              ? nativeFetch(request.clone(), extra as RequestInit)
              : nativeFetch(url, { ...init, body: body!.next() as BodyInit, ...extra } as RequestInit));
          }
          return fetchResult(response);
        },
      );
    } finally {
      cleanup();
    }
  }
}

function fetchResult(response: Response): AttemptResult<Response> {
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    value: response,
    discard: () => response.body?.cancel().catch(() => {}),
  };
}

/** The `fetch` transport reports at the response headers (it cannot see the body's end). */
async function reportedFetch(
  pick: PickedEndpoint,
  onOutcome: ((o: CallOutcome) => void) | undefined,
  callerAborted: () => boolean,
  clock: { now(): number },
  send: () => Promise<Response>,
): Promise<Response> {
  const started = clock.now();
  pick.onStart();
  let outcome: CallOutcome;
  try {
    const response = await send();
    const failure = classifyStatus(response.status);
    const latencyMs = clock.now() - started;
    outcome = failure ? { ok: false, status: response.status, failure, latencyMs } : { ok: true, status: response.status, latencyMs };
    return response;
  } catch (error) {
    outcome = { ok: false, error, failure: classifyError(error, callerAborted()), latencyMs: clock.now() - started };
    throw error;
  } finally {
    pick.onEnd(outcome!);
    onOutcome?.(outcome!);
  }
}

function hasHeader(headers: HeadersInit | undefined, name: string): boolean {
  if (!headers) return false;
  if (headers instanceof Headers) return headers.has(name);
  if (Array.isArray(headers)) return headers.some((pair) => String(pair[0]).toLowerCase() === name);
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
