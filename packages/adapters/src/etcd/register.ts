import {
  type Clock,
  ClosedError,
  createBackoff,
  type Endpoint,
  type EndpointInput,
  endpointToJSON,
  InvalidOptionError,
  isWayfinderError,
  parseEndpoint,
  parseHostPort,
  SourceError,
  sleep,
  systemClock,
  type WayfinderError,
} from '@wayfinder/core';
import type { Registration, RegistrationEvent, RegistrationState } from '../registration.js';
import { createEtcdGateway, EtcdStatusError, type EtcdGateway } from './gateway.js';
import { encodeBase64 } from './parse.js';

export const DEFAULT_ETCD_TTL_SECONDS = 10;
export const DEFAULT_ETCD_DRAIN_MS = 5_000;
/** gRPC NOT_FOUND, what the gateway answers for an unknown lease. */
const GRPC_NOT_FOUND = 5;

export interface EtcdRegisterOptions {
  /** etcd members: `http://host:port`, `host:port`, or a list of them (failover in order). */
  etcd: string | readonly string[];
  /** Key prefix the service is watched under (`services/planner/`); the key is prefix + endpoint id. */
  prefix: string;
  endpoint: EndpointInput;
  /** Lease TTL. Default 10 s. The key disappears this long after the process dies. */
  ttlSeconds?: number;
  /** Keep-alive period. Default a third of the TTL. */
  keepAliveIntervalMs?: number;
  /** How long `close()` leaves the endpoint `terminating` before revoking. Default 5 s. */
  drainMs?: number;
  clock?: Clock;
}

/**
 * Registers an endpoint in etcd under `prefix` and keeps it there: grants a lease of
 * `ttlSeconds`, puts the endpoint as Wayfinder endpoint JSON with that lease, renews it through
 * `/v3/lease/keepalive` every third of the TTL (timers on the injected clock, unref'ed), and
 * registers again with a new lease when etcd says the lease is gone (keep-alive answers TTL 0 or
 * "lease not found", e.g. after the process was paused longer than the TTL). `close()` puts the
 * endpoint with `terminating: true`, waits `drainMs` (still renewing), then revokes the lease,
 * which deletes the key.
 *
 * @see https://etcd.io/docs/v3.4/dev-guide/interacting_v3/#grant-leases
 * @example
 * const registration = registerEtcd({ etcd: 'http://127.0.0.1:2379', prefix: 'services/planner/',
 *   endpoint: { address: '10.0.0.7', port: 8080 }, ttlSeconds: 10 });
 * await registration.ready({ timeoutMs: 5000 });
 * // … serve; clients watch etcd://127.0.0.1:2379/services/planner/ …
 * await registration.close(); // terminating → drain → revoked
 */
export function registerEtcd(options: EtcdRegisterOptions): Registration {
  return new EtcdRegistration(options);
}

class EtcdRegistration implements Registration {
  readonly id: string;
  readonly target: string;
  #state: RegistrationState = 'registering';
  #lastError: WayfinderError | null = null;
  #endpoint: Endpoint;
  #ttlSeconds: number;
  #intervalMs: number;
  #drainMs: number;
  #clock: Clock;
  #gateway: EtcdGateway;
  #backoff: ReturnType<typeof createBackoff>;
  #lease: string | undefined;
  #timer: unknown;
  #busy: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #registeredOnce = false;
  #ticking = true;
  #listeners = new Set<(event: RegistrationEvent) => void>();
  #waiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();

  constructor(options: EtcdRegisterOptions) {
    const members = (typeof options.etcd === 'string' ? options.etcd.split(',') : [...options.etcd]).map((m) => memberOrigin(m));
    if (members.length === 0) throw new InvalidOptionError('etcd', options.etcd, 'must name at least one member (http://host:port)');
    if (typeof options.prefix !== 'string' || options.prefix === '') throw new InvalidOptionError('prefix', options.prefix, 'must be a non-empty key prefix');
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_ETCD_TTL_SECONDS;
    if (!Number.isInteger(this.#ttlSeconds) || this.#ttlSeconds < 1) throw new InvalidOptionError('ttlSeconds', options.ttlSeconds, 'must be an integer ≥ 1');
    this.#intervalMs = options.keepAliveIntervalMs ?? (this.#ttlSeconds * 1000) / 3;
    if (!(this.#intervalMs > 0) || this.#intervalMs >= this.#ttlSeconds * 1000) {
      throw new InvalidOptionError('keepAliveIntervalMs', options.keepAliveIntervalMs, 'must be positive and shorter than the TTL');
    }
    this.#drainMs = options.drainMs ?? DEFAULT_ETCD_DRAIN_MS;
    if (!(this.#drainMs >= 0)) throw new InvalidOptionError('drainMs', options.drainMs, 'must be ≥ 0');
    this.#endpoint = parseEndpoint(options.endpoint, 'endpoint');
    this.#clock = options.clock ?? systemClock;
    this.id = `${options.prefix}${this.#endpoint.id}`;
    this.target = `etcd://${members.map((m) => m.replace('http://', '')).join(',')}/${options.prefix}`;
    this.#gateway = createEtcdGateway({ members, label: this.target });
    this.#backoff = createBackoff({ initialMs: Math.min(500, this.#intervalMs), maxMs: this.#intervalMs });
    this.#run(() => this.#register());
  }

  get state(): RegistrationState {
    return this.#state;
  }
  get lastError(): WayfinderError | null {
    return this.#lastError;
  }

  ready(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#registeredOnce && this.#state !== 'closed') return Promise.resolve();
    if (this.#closing) return Promise.reject(new ClosedError(`registration ${this.id}`));
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const done = () => {
        this.#waiters.delete(waiter);
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const waiter = { resolve: () => (done(), resolve()), reject: (e: unknown) => (done(), reject(e)) };
      const onAbort = () => waiter.reject(options.signal!.reason);
      if (options.signal?.aborted) return reject(options.signal.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = this.#clock.setTimeout(() => {
          const last = this.#lastError ? `: ${this.#lastError.message}` : '';
          waiter.reject(new SourceError(this.target, `not registered within ${options.timeoutMs} ms${last}`, { cause: this.#lastError ?? undefined }));
        }, options.timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  subscribe(listener: (event: RegistrationEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  close(options: { drainMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.drainMs ?? this.#drainMs);
    return this.#closing;
  }

  // ---- work, one operation at a time ----

  #run(work: () => Promise<void>): void {
    this.#busy = this.#busy.then(work).catch((error: unknown) => this.#report(error));
  }

  #schedule(ms: number): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.#run(() => this.#tick()), ms);
  }

  async #register(): Promise<void> {
    if (this.#closing) return;
    try {
      const granted = (await this.#gateway.call('/v3/lease/grant', { TTL: String(this.#ttlSeconds) })) as { ID?: string; TTL?: string; error?: string };
      if (granted.ID === undefined) throw new SourceError(this.target, `lease grant failed: ${granted.error ?? JSON.stringify(granted)}`);
      this.#lease = granted.ID;
      await this.#put(false);
    } catch (error) {
      this.#failed(error);
      this.#schedule(this.#backoff.next());
      return;
    }
    this.#backoff.reset();
    this.#lastError = null;
    this.#state = 'registered';
    this.#emit({ type: 'registered', created: true });
    if (!this.#registeredOnce) {
      this.#registeredOnce = true;
      for (const w of [...this.#waiters]) w.resolve();
    }
    this.#schedule(this.#intervalMs);
  }

  async #tick(): Promise<void> {
    if (!this.#ticking) return;
    if (this.#lease === undefined) {
      if (!this.#closing) await this.#register();
      return;
    }
    let alive: boolean;
    try {
      alive = await this.#keepAlive(this.#lease);
    } catch (error) {
      this.#failed(error);
      // The lease may still be alive: renew again soon, well inside the TTL.
      this.#schedule(Math.min(this.#intervalMs, this.#backoff.next()));
      return;
    }
    this.#backoff.reset();
    if (alive) {
      if (this.#state === 'retrying') this.#state = 'registered';
      this.#lastError = null;
      this.#schedule(this.#intervalMs);
      return;
    }
    this.#lease = undefined;
    this.#failed(new SourceError(this.target, `lease of ${this.id} was lost (expired or revoked), registering again`));
    if (!this.#closing) await this.#register();
  }

  /** True when etcd renewed the lease; false when the lease no longer exists. */
  async #keepAlive(lease: string): Promise<boolean> {
    const answer = (await this.#gateway.call('/v3/lease/keepalive', { ID: lease })) as { result?: { TTL?: string }; error?: unknown };
    if (answer.result === undefined) throw new SourceError(this.target, `lease keep-alive failed: ${JSON.stringify(answer).slice(0, 200)}`);
    return answer.result.TTL !== undefined && Number(answer.result.TTL) > 0;
  }

  async #put(terminating: boolean): Promise<void> {
    const value = { ...endpointToJSON(this.#endpoint), ports: this.#endpoint.ports, hints: this.#endpoint.hints, metadata: this.#endpoint.metadata };
    if (terminating) Object.assign(value, { terminating: true, ready: false });
    try {
      await this.#gateway.call('/v3/kv/put', { key: encodeBase64(this.id), value: encodeBase64(JSON.stringify(value)), lease: this.#lease });
    } catch (error) {
      if (error instanceof EtcdStatusError && error.grpcCode === GRPC_NOT_FOUND) this.#lease = undefined;
      throw error;
    }
  }

  async #close(drainMs: number): Promise<void> {
    await this.#busy;
    for (const w of [...this.#waiters]) w.reject(new ClosedError(`registration ${this.id}`));
    if (this.#lease !== undefined) {
      this.#state = 'draining';
      try {
        await this.#put(true);
        this.#emit({ type: 'terminating' });
        await sleep(this.#clock, drainMs);
        this.#ticking = false;
        this.#clock.clearTimeout(this.#timer);
        await this.#busy; // a renewal in flight
        if (this.#lease !== undefined) await this.#gateway.call('/v3/lease/revoke', { ID: this.#lease });
        this.#emit({ type: 'deregistered' });
      } catch (error) {
        this.#report(error);
      }
    }
    this.#ticking = false;
    this.#clock.clearTimeout(this.#timer);
    this.#lease = undefined;
    this.#state = 'closed';
    await this.#gateway.close();
  }

  #failed(error: unknown): void {
    if (this.#state !== 'draining' && this.#state !== 'closed') this.#state = this.#registeredOnce ? 'retrying' : 'registering';
    this.#report(error);
  }

  #report(error: unknown): void {
    const wrapped = isWayfinderError(error) ? error : new SourceError(this.target, error instanceof Error ? error.message : String(error), { cause: error });
    this.#lastError = wrapped;
    this.#emit({ type: 'error', error: wrapped });
  }

  #emit(event: RegistrationEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`a registration listener threw: ${(error as Error).message}`);
      }
    }
  }
}

function memberOrigin(text: string): string {
  const trimmed = text.trim().replace(/^etcd:\/\//, '').replace(/\/.*$/, '');
  if (/^https?:\/\//.test(text.trim())) return text.trim().replace(/\/+$/, '');
  const { host, port } = parseHostPort(trimmed, text, 2379);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
