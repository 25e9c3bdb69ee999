import { EventSource } from 'eventsource';
import {
  type Endpoint,
  InvalidOptionError,
  InvalidTargetError,
  type ListResult,
  parseHostPort,
  type Source,
  type SourceContext,
  SourceError,
  type SourceFactory,
  type WatchEvent,
  WayfinderError,
} from '@wayfinder/core';
import { RegistryResponseError } from './errors.js';
import { limitEventSize, readBodyLimited } from './http.js';
import { errorBodyMessage, parseServiceSnapshot } from './parse.js';
import { DEFAULT_MAX_RESPONSE_BYTES, registryPaths, revisionETag, serviceNameSchema } from './schema.js';

/** Three heartbeat periods of a registry that beats at the protocol's slowest (15 s). */
export const DEFAULT_REGISTRY_IDLE_TIMEOUT_MS = 45_000;
export const DEFAULT_REGISTRY_REQUEST_TIMEOUT_MS = 10_000;
/** Environment variable read for the bearer token when neither the option nor the target gives one. */
export const REGISTRY_TOKEN_ENV = 'WAYFINDER_REGISTRY_TOKEN';

export interface RegistryHttpSourceOptions {
  /** The registry's base URL, `http(s)://host:port[/base]`. */
  url: string;
  service: string;
  /** Bearer token sent with every request. Never printed. */
  token?: string;
  /** Watch with SSE (default true); false polls `GET` with `If-None-Match` instead. */
  watch?: boolean;
  /** With `watch: false`, list again after this long (default: the resolver's poll interval). */
  pollIntervalMs?: number;
  /** Abandon a stream silent this long (no snapshot, no heartbeat). Default 45 000 ms. */
  idleTimeoutMs?: number;
  /** Bound for a GET. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** Largest snapshot accepted (GET body or SSE event). Default 4 MiB. */
  maxResponseBytes?: number;
  /** For messages; default `registry+<url>/<service>`. */
  label?: string;
  /** A fetch implementation (default the global one), e.g. to add a dispatcher. */
  fetch?: typeof fetch;
}

/**
 * A source for one service of a registry speaking the Wayfinder HTTP registry protocol: lists
 * with `GET` (validated, size-limited, `If-None-Match` → 304 keeps the set) and watches with SSE
 * (the `eventsource` package), resuming with `Last-Event-ID`. It never reconnects by itself: a
 * failed stream throws and an ended one returns, and the core resolver reconnects with backoff;
 * `idleTimeoutMs` lets the resolver abandon a stream whose heartbeats stopped.
 *
 * @see ../../../../docs/http-registry-protocol.md
 *
 * @example
 * const source = registryHttpSource({ url: 'http://127.0.0.1:7070', service: 'checkout' });
 * const resolver = createResolver({ target: source.describe(), source });
 */
export function registryHttpSource(options: RegistryHttpSourceOptions): Source {
  const base = baseUrl(options.url);
  const service = options.service;
  if (!serviceNameSchema.safeParse(service).success) throw new InvalidOptionError('service', service, 'must be 1-253 of [A-Za-z0-9._-]');
  const maxBytes = positiveOption('maxResponseBytes', options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
  const requestTimeoutMs = positiveOption('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REGISTRY_REQUEST_TIMEOUT_MS);
  const idleTimeoutMs = positiveOption('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_REGISTRY_IDLE_TIMEOUT_MS);
  const pollIntervalMs = options.pollIntervalMs === undefined ? undefined : positiveOption('pollIntervalMs', options.pollIntervalMs);
  const label = options.label ?? `registry+${base}/${service}`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const listUrl = `${base}${registryPaths.service(service)}`;
  const watchUrl = `${base}${registryPaths.watch(service)}`;
  let lastGood: { endpoints: Endpoint[]; revision: string } | undefined;

  const list = async (context: SourceContext): Promise<ListResult> => {
    const signal = AbortSignal.any([context.signal, AbortSignal.timeout(requestTimeoutMs)]);
    let response: Response;
    try {
      response = await doFetch(listUrl, {
        headers: { accept: 'application/json', ...auth, ...(lastGood ? { 'if-none-match': revisionETag(lastGood.revision) } : {}) },
        signal,
      });
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      throw new SourceError(label, `GET failed: ${describeFetchError(error)}`, { cause: error });
    }
    const finish = (got: { endpoints: Endpoint[]; revision: string }): ListResult => ({
      endpoints: got.endpoints,
      revision: got.revision,
      cursor: got.revision,
      ...(pollIntervalMs !== undefined ? { refreshAfterMs: pollIntervalMs } : {}),
    });
    if (response.status === 304 && lastGood) {
      await response.body?.cancel().catch(() => {});
      return finish(lastGood);
    }
    let body: Awaited<ReturnType<typeof readBodyLimited>>;
    try {
      body = await readBodyLimited(response, maxBytes);
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      throw new SourceError(label, `reading the GET body failed: ${describeFetchError(error)}`, { cause: error });
    }
    if (!body.ok) throw new RegistryResponseError(label, `GET body is over the ${maxBytes}-byte limit (${body.size} bytes)`, { status: response.status });
    if (response.status !== 200) {
      const detail = errorBodyMessage(body.text);
      throw new RegistryResponseError(label, `GET answered HTTP ${response.status}${detail ? ` (${detail})` : ''}`, {
        status: response.status,
        permanent: response.status === 401 || response.status === 403,
      });
    }
    lastGood = parseServiceSnapshot(body.text, service, label, maxBytes);
    return finish(lastGood);
  };

  if (options.watch === false) return { describe: () => label, list };
  return {
    describe: () => label,
    list,
    idleTimeoutMs,
    watch: (cursor, context) => watchSnapshots({ url: watchUrl, cursor, context, label, service, maxBytes, auth, doFetch, onSnapshot: (s) => (lastGood = s) }),
  };
}

interface WatchArgs {
  url: string;
  cursor: string | undefined;
  context: SourceContext;
  label: string;
  service: string;
  maxBytes: number;
  auth: Record<string, string>;
  doFetch: typeof fetch;
  onSnapshot: (s: { endpoints: Endpoint[]; revision: string }) => void;
}

type Item = { event: WatchEvent } | { end: true } | { fail: WayfinderError };

async function* watchSnapshots(args: WatchArgs): AsyncGenerator<WatchEvent> {
  const { context, label } = args;
  if (context.signal.aborted) return;
  const queue: Item[] = [];
  let wake: (() => void) | undefined;
  const push = (item: Item) => {
    queue.push(item);
    wake?.();
  };
  let first = true;
  let oversize: RegistryResponseError | undefined;
  const es = new EventSource(args.url, {
    fetch: async (input, init) => {
      const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), ...args.auth };
      // Our own first connection resumes from the list's revision; eventsource only knows ids it saw.
      if (first && args.cursor !== undefined && !headers['Last-Event-ID']) headers['Last-Event-ID'] = args.cursor;
      first = false;
      const response = await args.doFetch(input, { ...init, headers });
      if (!response.body || response.status !== 200) return response;
      const body = limitEventSize(response.body, args.maxBytes, () => (oversize = new RegistryResponseError(label, `an SSE event is over the ${args.maxBytes}-byte limit`)));
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
  });
  const onAbort = () => {
    es.close();
    push({ end: true });
  };
  context.signal.addEventListener('abort', onAbort, { once: true });
  es.addEventListener('snapshot', (message) => {
    try {
      const parsed = parseServiceSnapshot(String(message.data), args.service, label, args.maxBytes);
      args.onSnapshot(parsed);
      push({ event: { type: 'snapshot', endpoints: parsed.endpoints, revision: parsed.revision, cursor: parsed.revision } });
    } catch (error) {
      // A bad event never becomes a partial set; the next good snapshot (or a relist) repairs it.
      push({ event: { type: 'error', error: error as WayfinderError } });
    }
  });
  es.addEventListener('heartbeat', () => push({ event: { type: 'heartbeat' } }));
  es.addEventListener('error', (event) => {
    const state = es.readyState;
    es.close(); // never let eventsource reconnect by itself: the resolver owns retries
    const { code, message } = event as { code?: number; message?: string };
    if (oversize) push({ fail: oversize });
    else if (state === EventSource.CONNECTING && message === undefined) push({ end: true });
    else if (code !== undefined && code !== 200) {
      push({ fail: new RegistryResponseError(label, `watch answered HTTP ${code}${message ? ` (${message})` : ''}`, { status: code, permanent: code === 401 || code === 403 }) });
    } else push({ fail: new SourceError(label, `watch failed: ${message ?? 'stream error'}`) });
  });
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      const item = queue.shift()!;
      if ('event' in item) yield item.event;
      else if ('end' in item) return;
      else throw item.fail;
    }
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    es.close();
  }
}

/** `registry+http://host:port[/base]/service[?token=…&watch=false&pollIntervalMs=…&idleTimeoutMs=…&maxResponseBytes=…]` */
export const registryHttpSourceFactory: SourceFactory = (target, context) => {
  const scheme = target.scheme === 'registry+https' ? 'https' : target.scheme === 'registry+http' ? 'http' : undefined;
  if (!scheme) throw new InvalidTargetError(target.raw, `the registry source needs registry+http or registry+https, not "${target.scheme}"`);
  if (target.authority === '') throw new InvalidTargetError(redact(target.raw), 'missing registry host:port (registry+http://host:port/service)');
  if (target.authority.includes('@')) throw new InvalidTargetError(redact(target.raw), 'credentials in the URL are not supported; use ?token= or WAYFINDER_REGISTRY_TOKEN');
  const { host, port } = parseHostPort(target.authority, redact(target.raw), scheme === 'https' ? 443 : 80);
  const segments = target.path.split('/').filter((s) => s !== '');
  if (segments.length === 0) throw new InvalidTargetError(redact(target.raw), 'missing service name (registry+http://host:port/service)');
  const service = decodeURIComponent(segments.pop()!);
  if (!serviceNameSchema.safeParse(service).success) throw new InvalidTargetError(redact(target.raw), `invalid service name "${service}" (1-253 of [A-Za-z0-9._-])`);
  const known = new Set(['token', 'watch', 'pollIntervalMs', 'idleTimeoutMs', 'maxResponseBytes', 'requestTimeoutMs']);
  for (const key of target.query.keys()) {
    if (!known.has(key)) throw new InvalidTargetError(redact(target.raw), `unknown query parameter "${key}" (known: ${[...known].join(', ')})`);
  }
  const num = (key: string): number | undefined => {
    const v = target.query.get(key);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new InvalidTargetError(redact(target.raw), `${key} must be a positive integer, got "${v}"`);
    return Number(v);
  };
  const watch = target.query.get('watch');
  if (watch !== null && watch !== 'true' && watch !== 'false') throw new InvalidTargetError(redact(target.raw), `watch must be true or false, got "${watch}"`);
  const token = target.query.get('token') ?? context.env[REGISTRY_TOKEN_ENV];
  const hostText = host.includes(':') ? `[${host}]` : host;
  const basePath = segments.length ? `/${segments.join('/')}` : '';
  const options: RegistryHttpSourceOptions = { url: `${scheme}://${hostText}:${port}${basePath}`, service, label: redact(target.raw), watch: watch !== 'false' };
  if (token) options.token = token;
  for (const key of ['pollIntervalMs', 'idleTimeoutMs', 'maxResponseBytes', 'requestTimeoutMs'] as const) {
    const v = num(key);
    if (v !== undefined) options[key] = v;
  }
  return registryHttpSource(options);
};

/** The target with any `token` query value replaced, for messages. */
export function redact(target: string): string {
  return target.replace(/([?&]token=)[^&]*/g, '$1***');
}

function baseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^registry\+/, ''));
  } catch {
    throw new InvalidOptionError('url', url, 'must be an http(s)://host:port URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidOptionError('url', url, 'must use http or https');
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

function positiveOption(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0)) throw new InvalidOptionError(name, value, 'must be a number > 0');
  return value;
}

function describeFetchError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}
