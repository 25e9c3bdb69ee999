import { isWayfinderError } from '@wayfinder/core';

/**
 * A load generator: bounded (duration and count), rate-limited (requests per second, at most
 * `maxInFlight` at once) idempotent requests. Each request gets a sequence number (1, 2, …).
 */
export interface LoadOptions {
  send: (seq: number) => Promise<Response>;
  ratePerSecond: number;
  maxInFlight: number;
  durationMs: number;
  maxRequests: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Failures by error code (`WF_ERR_…`), error name, or `status <n>`. */
  failures: Record<string, number>;
  /** Examples of failures (first few), for assertion messages. */
  examples: string[];
  /** Latency of every successful request, in ms. */
  latenciesMs: number[];
  /** Answers per backend (`x-backend` header). */
  perBackend: Record<string, number>;
  /** `performance.now()` when each failed request was sent. */
  failedAt: number[];
  /** Wall-clock ms (`Date.now()`) of the first 200, or undefined. */
  firstOkAt: number | undefined;
}

export interface Load {
  /** The sequence number the next request will get. */
  readonly nextSeq: number;
  readonly result: LoadResult;
  /** Stops issuing, waits for requests in flight, returns the result. */
  stop(): Promise<LoadResult>;
  /** Resolves when the duration or the count is reached and every request ended. */
  readonly done: Promise<LoadResult>;
}

const TICK_MS = 5;

export function startLoad(options: LoadOptions): Load {
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, failures: {}, examples: [], latenciesMs: [], perBackend: {}, failedAt: [], firstOkAt: undefined };
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let seq = 1;

  const fail = (key: string, detail: string, sentAt: number) => {
    result.failed++;
    result.failedAt.push(sentAt);
    result.failures[key] = (result.failures[key] ?? 0) + 1;
    if (result.examples.length < 5) result.examples.push(detail);
  };
  const one = async (n: number) => {
    const t0 = performance.now();
    try {
      const response = await options.send(n);
      await response.text();
      if (response.status === 200) {
        result.ok++;
        result.firstOkAt ??= Date.now();
        result.latenciesMs.push(performance.now() - t0);
        const backend = response.headers.get('x-backend') ?? '?';
        result.perBackend[backend] = (result.perBackend[backend] ?? 0) + 1;
      } else fail(`status ${response.status}`, `#${n}: status ${response.status}`, t0);
    } catch (error) {
      const key = isWayfinderError(error) ? error.code : ((error as Error)?.name ?? 'unknown');
      fail(key, `#${n} at ${Math.round(t0 - started)} ms: ${String(error)}${causeChain(error)}`, t0);
    }
  };

  const done = new Promise<LoadResult>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const finished = stopped || elapsed >= options.durationMs || result.sent >= options.maxRequests;
      if (finished) {
        clearInterval(timer);
        void Promise.all(inFlight).then(() => resolve(result));
        return;
      }
      const due = Math.min(options.maxRequests, Math.floor((elapsed / 1000) * options.ratePerSecond));
      while (result.sent < due && inFlight.size < options.maxInFlight) {
        result.sent++;
        const p = one(seq++).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }, TICK_MS);
  });

  return {
    get nextSeq() {
      return seq;
    },
    result,
    async stop() {
      stopped = true;
      return done;
    },
    done,
  };
}

/** The `q` quantile (0–1) of `values` (nearest rank), or NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `12.3 ms` with 3 significant digits. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return `${value >= 100 ? value.toFixed(0) : value.toPrecision(3)} ms`;
}

function causeChain(error: unknown): string {
  let text = '';
  let cause = (error as { cause?: unknown } | undefined)?.cause;
  for (let depth = 0; cause !== undefined && depth < 3; depth++) {
    const c = cause as { code?: string; message?: string; cause?: unknown };
    text += ` <- ${c.code ?? ''} ${c.message ?? String(cause)}`;
    cause = c.cause;
  }
  return text;
}
