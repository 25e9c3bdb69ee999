import {
  type Clock,
  ClosedError,
  createBackoff,
  endpointAddressKey,
  type EndpointInput,
  endpointInputSchema,
  InvalidOptionError,
  type Random,
  ResolveTimeoutError,
  SourceError,
  systemClock,
  type TimerHandle,
  type WayfinderError,
} from '@wayfinder/core';
import type { Registration, RegistrationEvent, RegistrationState } from '../registration.js';
import { RegistrationError } from './errors.js';
import { errorBodyMessage } from './parse.js';
import { MAX_TTL_SECONDS, MIN_TTL_SECONDS, registrationResponseSchema, registryPaths, serviceNameSchema } from './schema.js';

export const DEFAULT_REGISTRATION_TTL_SECONDS = 10;
/** Renew after this fraction of the TTL, leaving two more tries before expiry. */
export const DEFAULT_RENEW_FRACTION = 1 / 3;
export const DEFAULT_DRAIN_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;

export interface HttpRegisterOptions {
  /** The registry's base URL: `http://host:port` (also `registry+http://host:port`, `https`). */
  registry: string;
  service: string;
  /** What to publish; `id` defaults to `address:port`. */
  endpoint: EndpointInput;
  /** Default 10 s. */
  ttlSeconds?: number;
  /** Renew after `ttlSeconds × renewFraction` (default 1/3). */
  renewFraction?: number;
  /** Wait between marking terminating and deregistering. Default 2000 ms. */
  drainMs?: number;
  /** Bearer token. Never printed. */
  token?: string;
  /** Drain and deregister on SIGTERM/SIGINT, then re-raise the signal. Default false. */
  handleSignals?: boolean;
  clock?: Clock;
  random?: Random;
  fetch?: typeof fetch;
}

/** Self-registration with a Wayfinder HTTP registry (`PUT`/`DELETE`, see the protocol doc). */
export function registerHttp(options: HttpRegisterOptions): Registration {
  const base = registryBaseUrl(options.registry);
  if (!serviceNameSchema.safeParse(options.service).success) throw new InvalidOptionError('service', options.service, 'must be 1-253 of [A-Za-z0-9._-]');
  const parsedEndpoint = endpointInputSchema.safeParse(options.endpoint);
  if (!parsedEndpoint.success) throw new InvalidOptionError('endpoint', options.endpoint, `must be a valid endpoint (${parsedEndpoint.error.issues[0]!.message})`);
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_REGISTRATION_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < MIN_TTL_SECONDS || ttlSeconds > MAX_TTL_SECONDS) {
    throw new InvalidOptionError('ttlSeconds', ttlSeconds, `must be an integer ${MIN_TTL_SECONDS}-${MAX_TTL_SECONDS}`);
  }
  const renewFraction = options.renewFraction ?? DEFAULT_RENEW_FRACTION;
  if (!(renewFraction > 0 && renewFraction < 1)) throw new InvalidOptionError('renewFraction', renewFraction, 'must be between 0 and 1');
  const defaultDrainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  if (!(defaultDrainMs >= 0)) throw new InvalidOptionError('drainMs', defaultDrainMs, 'must be ≥ 0');
  const clock = options.clock ?? systemClock;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const endpoint = options.endpoint;
  const id = endpoint.id ?? endpointAddressKey(endpoint.address, endpoint.port);
  const target = `${base}${registryPaths.endpoint(options.service, id)}`;
  const renewMs = ttlSeconds * 1000 * renewFraction;
  const backoff = createBackoff({ initialMs: Math.min(200, renewMs), maxMs: renewMs, jitter: 0.5 }, options.random);
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  let state: RegistrationState = 'registering';
  let lastError: WayfinderError | null = null;
  let terminating = false;
  let timer: TimerHandle | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const stop = new AbortController();
  const listeners = new Set<(e: RegistrationEvent) => void>();
  const readyWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  let registeredOnce = false;

  const emit = (event: RegistrationEvent) => {
    for (const l of [...listeners]) {
      try {
        l(event);
      } catch (error) {
        process.emitWarning(`a registration listener threw: ${(error as Error).message}`);
      }
    }
  };

  const request = async (method: 'PUT' | 'DELETE', body?: unknown): Promise<Response> => {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      return await doFetch(target, {
        method,
        headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      throw new RegistrationError(target, `${method} failed: ${e.cause?.code ?? e.message}`, { cause: error });
    }
  };

  const put = async (): Promise<void> => {
    const response = await request('PUT', { endpoint: { ...endpoint, id, ...(terminating ? { terminating: true } : {}) }, ttlSeconds });
    const text = await response.text();
    if (response.status !== 200 && response.status !== 201) {
      throw new RegistrationError(target, `PUT answered HTTP ${response.status}${errorBodyMessage(text) ? ` (${errorBodyMessage(text)})` : ''}`, {
        status: response.status,
        permanent: response.status === 400 || response.status === 401 || response.status === 403,
      });
    }
    let parsed;
    try {
      parsed = registrationResponseSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new RegistrationError(target, 'PUT answer violates the protocol schema', { cause: error, status: response.status });
    }
    lastError = null;
    backoff.reset();
    if (!terminating) state = 'registered';
    emit({ type: 'registered', created: parsed.created });
    if (!registeredOnce) {
      registeredOnce = true;
      for (const w of [...readyWaiters]) w.resolve();
    }
  };

  const tick = () => {
    timer = undefined;
    if (stop.signal.aborted) return;
    inFlight = put().then(
      () => schedule(renewMs),
      (error: WayfinderError) => {
        lastError = error;
        if (!terminating) state = 'retrying';
        emit({ type: 'error', error });
        schedule(backoff.next());
      },
    );
  };
  const schedule = (ms: number) => {
    if (stop.signal.aborted) return;
    timer = clock.setTimeout(tick, ms);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    removeSignalHandlers();
    void registration.close().finally(() => process.kill(process.pid, signal));
  };
  const signalHandlers = (['SIGTERM', 'SIGINT'] as const).map((s) => [s, () => onSignal(s)] as const);
  const removeSignalHandlers = () => {
    for (const [s, h] of signalHandlers) process.off(s, h);
  };
  if (options.handleSignals) for (const [s, h] of signalHandlers) process.once(s, h);

  const registration: Registration = {
    id,
    target,
    get state() {
      return state;
    },
    get lastError() {
      return lastError;
    },
    ready({ timeoutMs, signal } = {}) {
      if (registeredOnce) return Promise.resolve();
      if (closing) return Promise.reject(new ClosedError(`registration of ${id}`));
      return new Promise<void>((resolve, reject) => {
        let t: TimerHandle | undefined;
        const done = () => {
          readyWaiters.delete(waiter);
          if (t !== undefined) clock.clearTimeout(t);
          signal?.removeEventListener('abort', onAbort);
        };
        const waiter = {
          resolve: () => (done(), resolve()),
          reject: (e: unknown) => (done(), reject(e)),
        };
        const onAbort = () => waiter.reject(signal!.reason);
        readyWaiters.add(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (timeoutMs !== undefined) t = clock.setTimeout(() => waiter.reject(new ResolveTimeoutError(target, timeoutMs, { cause: lastError ?? undefined })), timeoutMs);
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close({ drainMs = defaultDrainMs } = {}) {
      closing ??= (async () => {
        removeSignalHandlers();
        for (const w of [...readyWaiters]) w.reject(new ClosedError(`registration of ${id}`));
        if (timer !== undefined) clock.clearTimeout(timer);
        timer = undefined;
        await inFlight;
        if (registeredOnce && drainMs > 0) {
          terminating = true;
          state = 'draining';
          emit({ type: 'terminating' });
          try {
            await put();
          } catch (error) {
            lastError = error as WayfinderError;
            emit({ type: 'error', error: lastError });
          }
          await new Promise<void>((r) => clock.setTimeout(r, drainMs));
        }
        stop.abort();
        if (timer !== undefined) clock.clearTimeout(timer);
        await inFlight; // a renewal racing the DELETE must not re-register
        try {
          const response = await request('DELETE');
          await response.body?.cancel().catch(() => {});
          if (response.status !== 204 && response.status !== 200) throw new RegistrationError(target, `DELETE answered HTTP ${response.status}`, { status: response.status });
          emit({ type: 'deregistered' });
        } catch (error) {
          // The TTL removes it anyway; report, do not throw from a shutdown path.
          lastError = error instanceof SourceError ? error : new RegistrationError(target, String(error), { cause: error });
          emit({ type: 'error', error: lastError });
        }
        state = 'closed';
      })();
      return closing;
    },
  };
  tick();
  return registration;
}

/** `http(s)://host:port[/base]` from a registry URL (`registry+http://…` accepted, path kept as base). */
export function registryBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/^registry\+/i, ''));
  } catch {
    throw new InvalidOptionError('registry', url, 'must be a URL such as http://127.0.0.1:7070');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidOptionError('registry', url, 'must use http or https');
  if (parsed.username || parsed.password) throw new InvalidOptionError('registry', `${parsed.protocol}//…@${parsed.host}`, 'must not carry credentials (use token)');
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}
