import type { Dispatcher } from 'undici';

/**
 * The undici handler protocol the client speaks internally: the "legacy" callbacks that both
 * undici 7's `request()` and Node 20's bundled undici 6 `fetch` pass to `dispatch()`.
 */
export interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: Buffer[] | string[] | null): void;
  onError?(err: Error): void;
  onUpgrade?(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void;
  onBodySent?(chunk: unknown, totalBytesSent?: number): void;
  onRequestSent?(): void;
}

interface NewStyleController {
  abort(reason?: Error): void;
  pause(): void;
  resume(): void;
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: Error | null;
  rawHeaders?: unknown;
  rawTrailers?: unknown;
}

/** Adapts an undici 7 "new" handler (`onRequestStart` …) to the legacy protocol. */
export function toLegacyHandler(handler: Dispatcher.DispatchHandler | LegacyHandler): LegacyHandler {
  const h = handler as Dispatcher.DispatchHandler & LegacyHandler;
  if (typeof h.onRequestStart !== 'function' && typeof h.onResponseStart !== 'function') return h;
  let paused = false;
  let aborted = false;
  let reason: Error | null = null;
  let resumeFn: (() => void) | undefined;
  let abortFn: (err?: Error) => void = () => {};
  const controller: NewStyleController = {
    abort(r) {
      if (aborted) return;
      aborted = true;
      reason = r ?? null;
      abortFn(r);
    },
    pause() {
      paused = true;
    },
    resume() {
      if (paused) {
        paused = false;
        resumeFn?.();
      }
    },
    get aborted() {
      return aborted;
    },
    get paused() {
      return paused;
    },
    get reason() {
      return reason;
    },
  };
  const c = controller as unknown as Dispatcher.DispatchController;
  return {
    onConnect(abort, context) {
      abortFn = abort;
      h.onRequestStart?.(c, context);
    },
    onUpgrade(statusCode, rawHeaders, socket) {
      h.onRequestUpgrade?.(c, statusCode, parseRawHeaders(rawHeaders), socket as never);
    },
    onHeaders(statusCode, rawHeaders, resume, statusText) {
      resumeFn = resume;
      controller.rawHeaders = rawHeaders;
      h.onResponseStart?.(c, statusCode, parseRawHeaders(rawHeaders), statusText);
      return !paused;
    },
    onData(chunk) {
      h.onResponseData?.(c, chunk);
      return !paused;
    },
    onComplete(trailers) {
      h.onResponseEnd?.(c, parseRawHeaders(trailers));
    },
    onError(err) {
      h.onResponseError?.(c, err);
    },
  };
}

/** Raw `[name, value, …]` headers to a record (repeated names become arrays). */
export function parseRawHeaders(raw: readonly (Buffer | string)[] | null | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!.toString().toLowerCase();
    const value = raw[i + 1]!.toString();
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

/** The value of one header in raw `[name, value, …]` form. */
export function rawHeader(raw: readonly (Buffer | string)[] | null | undefined, name: string): string | null {
  if (!raw) return null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return null;
}

type HeadersInput = Dispatcher.DispatchOptions['headers'];

/**
 * Dispatch headers (record, flat array, or iterable of pairs) as a flat `[name, value, …]`
 * list with `host` first and set to `host` (any `host` the caller gave is dropped). undici
 * reads such a list without re-keying it.
 */
export function withHostHeader(headers: HeadersInput, host: string): unknown[] {
  const out: unknown[] = ['host', host];
  if (headers == null) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as [string, unknown][]) push(out, pair[0], pair[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) push(out, String(headers[i]), headers[i + 1]);
    }
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, unknown]>) push(out, k, v);
  } else {
    const record = headers as Record<string, unknown>;
    for (const k in record) if (Object.hasOwn(record, k)) push(out, k, record[k]);
  }
  return out;
}

function push(out: unknown[], key: string, value: unknown): void {
  if (value === undefined || (key.length === 4 && key.toLowerCase() === 'host')) return;
  out.push(key, value);
}

/** The value of a header in dispatch headers, case-insensitively (`name` in lower case). */
export function dispatchHeader(headers: HeadersInput, name: string): string | undefined {
  if (headers == null) return undefined;
  const n = name.length;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as [string, string][]) if (pair[0].length === n && pair[0].toLowerCase() === name) return String(pair[1]);
      return undefined;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const k = String(headers[i]);
      if (k.length === n && k.toLowerCase() === name) return String(headers[i + 1]);
    }
    return undefined;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, string]>) if (k.length === n && k.toLowerCase() === name) return String(v);
    return undefined;
  }
  const record = headers as Record<string, unknown>;
  for (const k in record) {
    if (k.length === n && Object.hasOwn(record, k) && k.toLowerCase() === name && record[k] !== undefined) return String(record[k]);
  }
  return undefined;
}
