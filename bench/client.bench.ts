/**
 * Client benchmarks (issue 4), on loopback, servers in child processes:
 *
 * 1. CPU per request, cases interleaved in one run: plain undici `Pool.request` and plain
 *    `fetch` to one fixed backend; undici `BalancedPool`, Wayfinder's request path
 *    (`undici.request` with `client.dispatcher`) and fetch path (`client.fetch`) over 4
 *    backends. Client CPU µs per request (process.cpuUsage), requests/s, p50/p99 latency.
 *    Run twice: each client in its own process (rounds still interleaved), then all in this
 *    process, where the clients share the JIT's type feedback for undici's code.
 * 1b. The same client-side code without sockets: the pools' connections replaced (undici's
 *    `factory` option) by one that answers at once, so only the clients' own CPU remains.
 * 2. Churn: open loop at 2000 requests/s over 6 backends (one child process each); every
 *    500 ms the oldest is SIGKILLed and a fresh one takes its place; the registry is told at
 *    once, or (second run) 1 s late. BalancedPool vs Wayfinder without retries vs Wayfinder
 *    with its defaults, one after another over the same schedule.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BalancedPool, Dispatcher, Pool } from 'undici';
import { type BalancerPolicy, type CallOutcome, createClient, type WayfinderClient } from '@wayfinder/core';
import { createFakeSource } from '@wayfinder/core/fake';
import { leastRequest, roundRobin } from '@wayfinder/balancer';
import { holdProcess, machine, quantile, writeResults } from './lib.js';

const release = process.env.WF_BENCH_CASE ? () => {} : holdProcess();
const CHURN_SECONDS = Number(process.env.CHURN_SECONDS ?? 8);
const RATE_PER_S = 2000;
const KILL_EVERY_MS = 500;

// ---------------------------------------------------------------- backends (child processes)

const SERVER = `
const http = require('node:http');
const n = Number(process.argv[1] || 1);
const ports = [];
let ready = 0;
for (let i = 0; i < n; i++) {
  const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('content-type', 'text/plain'); res.end('ok'); }); });
  s.keepAliveTimeout = 30000;
  s.listen(0, '127.0.0.1', () => { ports[i] = s.address().port; if (++ready === n) process.stdout.write(JSON.stringify(ports) + '\\n'); });
}`;

interface Child {
  proc: ChildProcess;
  ports: number[];
}

async function spawnServer(count: number): Promise<Child> {
  const proc = spawn(process.execPath, ['-e', SERVER, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { proc, ports: JSON.parse(line.toString().split('\n')[0]!) as number[] };
}

function kill(child: Child): void {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
}

const children = new Set<Child>();
process.on('exit', () => {
  for (const c of children) kill(c);
});

// ---------------------------------------------------------------- 1. CPU per request

interface CaseResult {
  cpuUs: number[];
  rps: number[];
  latenciesMs: number[];
}

interface BatchResult {
  cpuUs: number;
  rps: number;
  lat: number[];
}

async function runBatch(total: number, concurrency: number, one: () => Promise<unknown>): Promise<BatchResult> {
  const lat: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      const s = performance.now();
      await one();
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / total, rps: (total / elapsed) * 1000, lat };
}

const CASE_NAMES = [
  'undici Pool.request (1 backend)',
  'global fetch (1 backend)',
  'undici BalancedPool (4)',
  'Wayfinder request path (4)',
  'Wayfinder request path (4, roundRobin)',
  'Wayfinder fetch path (4)',
] as const;
type CaseName = (typeof CASE_NAMES)[number];
const ROUNDS = 11;
const CONCURRENCY = 16;

/** One loopback case: what a request is, how many per round, and how to clean up. */
function buildCase(name: CaseName, ports: number[]): { run: () => Promise<unknown>; n: number; close: () => Promise<unknown> } {
  const [fixed, ...four] = ports as [number, ...number[]];
  switch (name) {
    case 'undici Pool.request (1 backend)': {
      const pool = new Pool(`http://127.0.0.1:${fixed}`);
      return { run: async () => (await pool.request({ path: '/', method: 'GET' })).body.text(), n: 2000, close: () => pool.close() };
    }
    case 'global fetch (1 backend)': {
      const url = `http://127.0.0.1:${fixed}/`;
      return { run: async () => (await fetch(url)).text(), n: 700, close: async () => {} };
    }
    case 'undici BalancedPool (4)': {
      const balanced = new BalancedPool(four.map((p) => `http://127.0.0.1:${p}`));
      return { run: async () => (await balanced.request({ path: '/', method: 'GET' })).body.text(), n: 2000, close: () => balanced.close() };
    }
    case 'Wayfinder request path (4)':
    case 'Wayfinder request path (4, roundRobin)':
    case 'Wayfinder fetch path (4)': {
      const target = `static://${four.map((p) => `127.0.0.1:${p}`).join(',')}`;
      const balancer = name === 'Wayfinder request path (4, roundRobin)' ? roundRobin() : leastRequest();
      const client = createClient({ services: { svc: target }, balancer, transport: 'undici' });
      return name !== 'Wayfinder fetch path (4)'
        ? { run: async () => (await client.dispatcher.request({ origin: 'http://svc', path: '/', method: 'GET' })).body.text(), n: 2000, close: () => client.close() }
        : { run: async () => (await client.fetch('http://svc/')).text(), n: 700, close: () => client.close() };
    }
  }
}

/** Runs `rounds` interleaved rounds of `names`; `batch(name)` runs one batch of a case wherever it lives. */
async function interleave<N extends string>(names: readonly N[], rounds: number, batch: (name: N) => Promise<BatchResult>): Promise<Map<N, CaseResult>> {
  const results = new Map<N, CaseResult>(names.map((n) => [n, { cpuUs: [], rps: [], latenciesMs: [] }]));
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) {
      const { cpuUs, rps, lat } = await batch(name);
      const res = results.get(name)!;
      res.cpuUs.push(cpuUs);
      res.rps.push(rps);
      res.latenciesMs.push(...lat);
    }
  }
  return results;
}

/** Every case in this process (their code shares the JIT's type feedback, as in a mixed service). */
async function loopbackShared(ports: number[]): Promise<Map<CaseName, CaseResult>> {
  const cases = new Map(CASE_NAMES.map((n) => [n, buildCase(n, ports)]));
  for (const c of cases.values()) await runBatch(300, CONCURRENCY, c.run); // warm-up
  const results = await interleave(CASE_NAMES, ROUNDS, async (name) => {
    globalThis.gc?.();
    const c = cases.get(name)!;
    return runBatch(c.n, CONCURRENCY, c.run);
  });
  for (const c of cases.values()) await c.close();
  return results;
}

/** Each case in its own client process, rounds still interleaved (one code path per process). */
async function isolated<N extends string>(kind: 'loopback' | 'synthetic', names: readonly N[], rounds: number, ports: number[]): Promise<Map<N, CaseResult>> {
  const workers = new Map<N, ChildProcess>();
  for (const name of names) {
    const proc = spawn(process.execPath, [...process.execArgv, import.meta.filename], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, WF_BENCH_KIND: kind, WF_BENCH_CASE: name, WF_BENCH_PORTS: JSON.stringify(ports) },
    });
    workers.set(name, proc);
    await once(proc, 'message'); // warmed up
  }
  const results = await interleave(names, rounds, async (name) => {
    const proc = workers.get(name)!;
    proc.send('batch');
    const [msg] = (await once(proc, 'message')) as [BatchResult];
    return msg;
  });
  for (const proc of workers.values()) {
    proc.send('exit');
    await once(proc, 'exit');
  }
  return results;
}

/** The child side of {@link isolated}. */
async function caseWorker(kind: string, name: string, ports: number[]): Promise<void> {
  const c = kind === 'synthetic' ? buildSyntheticCase(name as SynthName) : buildCase(name as CaseName, ports);
  await runBatch(Math.min(c.n, 3000), CONCURRENCY, c.run);
  process.on('message', (msg) => {
    if (msg === 'exit') {
      void c.close().finally(() => process.exit(0));
      return;
    }
    globalThis.gc?.();
    void runBatch(c.n, CONCURRENCY, c.run).then((r) => process.send!(r));
  });
  process.send!('ready');
}

interface CpuRow {
  name: CaseName;
  cpuUsPerRequest: number;
  /** Median over rounds of (this case − its plain baseline in the same round). */
  deltaUs: number;
  requestsPerS: number;
  /** Requests/s relative to BalancedPool, median over rounds of the same-round ratio. */
  vsBalancedPool: number;
  p50Ms: number;
  p99Ms: number;
}

function summarise(results: Map<CaseName, CaseResult>): CpuRow[] {
  const get = (n: CaseName) => results.get(n)!;
  return CASE_NAMES.map((name) => {
    const r = get(name);
    const base = get(name.includes('fetch') ? 'global fetch (1 backend)' : 'undici Pool.request (1 backend)');
    const bp = get('undici BalancedPool (4)');
    return {
      name,
      cpuUsPerRequest: quantile(r.cpuUs, 0.5),
      deltaUs: quantile(r.cpuUs.map((v, i) => v - base.cpuUs[i]!), 0.5),
      requestsPerS: quantile(r.rps, 0.5),
      vsBalancedPool: quantile(r.rps.map((v, i) => v / bp.rps[i]!), 0.5),
      p50Ms: quantile(r.latenciesMs, 0.5),
      p99Ms: quantile(r.latenciesMs, 0.99),
    };
  });
}

async function loopback(): Promise<{ isolated: CpuRow[]; shared: CpuRow[] }> {
  const server = await spawnServer(5);
  children.add(server);
  const own = summarise(await isolated('loopback', CASE_NAMES, ROUNDS, server.ports));
  const shared = summarise(await loopbackShared(server.ports));
  kill(server);
  children.delete(server);
  return { isolated: own, shared };
}

// ---------------------------------------------------------------- 1b. client-side cost without sockets

/**
 * A stand-in for undici's per-connection `Client` (through the pools' `factory` option): it
 * answers every request on the next microtask with a 200 and a 2-byte body. What remains is
 * the client-side code of each path (request API, pools, Wayfinder's pick, handler and
 * reporting), without sockets, syscalls or the server's timing.
 */
class AnsweringClient extends Dispatcher {
  override dispatch(_opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const h = handler as unknown as {
      onConnect(abort: () => void): void;
      onHeaders(status: number, raw: Buffer[], resume: () => void, text: string): boolean;
      onData(chunk: Buffer): boolean;
      onComplete(trailers: Buffer[]): void;
    };
    queueMicrotask(() => {
      h.onConnect(noop);
      h.onHeaders(200, ANSWER_HEADERS, noop, 'OK');
      h.onData(ANSWER_BODY);
      h.onComplete([]);
    });
    return true;
  }
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) callback();
    else return Promise.resolve();
  }
  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    if (typeof callback === 'function') callback();
    else return Promise.resolve();
  }
}
const ANSWER_HEADERS = [Buffer.from('content-type'), Buffer.from('text/plain'), Buffer.from('content-length'), Buffer.from('2')];
const ANSWER_BODY = Buffer.from('ok');
const noop = () => {};

interface SyntheticRow {
  name: string;
  cpuUsPerRequest: number;
  deltaUs: number;
}

const SYNTH_NAMES = [
  'undici Pool.request (1 pool)',
  'undici BalancedPool (4)',
  'Wayfinder request path (4)',
  'fetch with an undici Pool as dispatcher (1 pool)',
  'Wayfinder fetch path (4)',
] as const;
type SynthName = (typeof SYNTH_NAMES)[number];
const SYNTH_ADDRESSES = ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.4:80'];

function buildSyntheticCase(name: SynthName): { run: () => Promise<unknown>; n: number; close: () => Promise<unknown> } {
  const factory = () => new AnsweringClient();
  switch (name) {
    case 'undici Pool.request (1 pool)': {
      const pool = new Pool('http://10.0.0.1', { factory });
      return { run: async () => (await pool.request({ path: '/', method: 'GET' })).body.text(), n: 20_000, close: () => pool.close() };
    }
    case 'undici BalancedPool (4)': {
      const balanced = new BalancedPool(
        SYNTH_ADDRESSES.map((a) => `http://${a}`),
        { factory: (origin: string | URL, opts: object) => new Pool(origin, { ...opts, factory }) },
      );
      return { run: async () => (await balanced.request({ path: '/', method: 'GET' })).body.text(), n: 20_000, close: () => balanced.close() };
    }
    case 'fetch with an undici Pool as dispatcher (1 pool)': {
      const pool = new Pool('http://10.0.0.9', { factory });
      return { run: async () => (await fetch('http://10.0.0.9/', { dispatcher: pool } as RequestInit)).text(), n: 4000, close: () => pool.close() };
    }
    case 'Wayfinder request path (4)':
    case 'Wayfinder fetch path (4)': {
      const client = createClient({ services: { svc: `static://${SYNTH_ADDRESSES.join(',')}` }, balancer: leastRequest(), transport: 'undici', poolOptions: { factory } });
      return name === 'Wayfinder request path (4)'
        ? { run: async () => (await client.dispatcher.request({ origin: 'http://svc', path: '/', method: 'GET' })).body.text(), n: 20_000, close: () => client.close() }
        : { run: async () => (await client.fetch('http://svc/')).text(), n: 4000, close: () => client.close() };
    }
  }
}

/** The synthetic cases, each in its own process (mixing fetch and the request API in one process skews both). */
async function synthetic(): Promise<SyntheticRow[]> {
  const results = await isolated('synthetic', SYNTH_NAMES, 9, []);
  return SYNTH_NAMES.map((name) => {
    const v = results.get(name)!.cpuUs;
    const base = results.get(name.includes('fetch') ? 'fetch with an undici Pool as dispatcher (1 pool)' : 'undici Pool.request (1 pool)')!.cpuUs;
    return { name, cpuUsPerRequest: quantile(v, 0.5), deltaUs: quantile(v.map((x, i) => x - base[i]!), 0.5) };
  });
}

// ---------------------------------------------------------------- 2. churn

interface PickLog {
  first: Map<string, number>;
  last: Map<string, number>;
  builds: number[];
}

/** Wraps a policy to timestamp builds and the first and last pick of every endpoint. */
function timed(policy: BalancerPolicy, log: PickLog): BalancerPolicy {
  return {
    name: policy.name,
    create(context) {
      const balancer = policy.create(context);
      return {
        build(set) {
          log.builds.push(performance.now());
          const picker = balancer.build(set);
          return {
            pick(ctx) {
              const r = picker.pick(ctx);
              if (r.type === 'endpoint') {
                const now = performance.now();
                if (!log.first.has(r.endpoint.id)) log.first.set(r.endpoint.id, now);
                log.last.set(r.endpoint.id, now);
              }
              return r;
            },
          };
        },
        close: () => balancer.close?.(),
      };
    },
  };
}

type Kind = 'balanced-pool' | 'wayfinder-no-retries' | 'wayfinder-defaults';

interface ChurnResult {
  kind: Kind;
  /** 1-minute load average of the machine after the run (others' work included). */
  loadAverage?: number;
  registryLagMs: number;
  requests: number;
  failed: number;
  failedPct: number;
  attempts: number;
  extraAttemptsPct: number;
  kills: number;
  /** p99 event-loop delay of the client process during the run. */
  eventLoopDelayP99Ms: number;
  /** Attempts refused by a dead endpoint (Wayfinder: from its outcome reports). */
  refusedAttempts: number;
  /** Requests that failed with a refused connection. */
  refusedFailed: number;
  inFlightFailures: number;
  firstPickNewP50Ms?: number;
  firstPickNewP99Ms?: number;
  lastPickRemovedP50Ms?: number;
  lastPickRemovedP99Ms?: number;
  eventToPickerP50Us?: number;
  eventToPickerP99Us?: number;
}

/** True when the error (or a cause) is a refused connection. */
function refused(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}

async function churn(kind: Kind, registryLagMs: number): Promise<ChurnResult> {
  const live: Child[] = [];
  for (let i = 0; i < 6; i++) live.push(await spawnServer(1));
  live.forEach((c) => children.add(c));
  let spare = spawnServer(1);
  const id = (c: Child) => `127.0.0.1:${c.ports[0]}`;
  const url = (c: Child) => `http://${id(c)}`;

  const source = createFakeSource({ endpoints: live.map((c) => ({ address: '127.0.0.1', port: c.ports[0]! })) });
  const log: PickLog = { first: new Map(), last: new Map(), builds: [] };
  const outcomes: CallOutcome[] = [];
  let client: WayfinderClient | undefined;
  let balanced: BalancedPool | undefined;
  const poolOptions = { headersTimeout: 5000, bodyTimeout: 5000 };
  if (kind === 'balanced-pool') balanced = new BalancedPool(live.map(url), poolOptions);
  else {
    client = createClient({
      ...(process.env.QUARANTINE_MS ? { quarantineMs: Number(process.env.QUARANTINE_MS) } : {}),
      services: { svc: 'fake://svc' },
      schemes: { fake: () => source },
      balancer: timed(leastRequest(), log),
      transport: 'undici',
      poolOptions,
      onAttempt: (e) => outcomes.push(e.outcome),
      ...(kind === 'wayfinder-no-retries' ? { retry: false as const } : {}),
    });
    await (await client.fetch('http://svc/')).text();
    outcomes.length = 0;
  }

  const addedAt = new Map<string, number>();
  const removedAt = new Map<string, number>();
  const pushAt: number[] = [];
  const tellRegistry = (dead: Child, fresh: Child) => {
    const at = performance.now();
    if (balanced) {
      balanced.removeUpstream(url(dead));
      balanced.addUpstream(url(fresh));
    } else {
      pushAt.push(at);
      source.push({ upsert: [{ address: '127.0.0.1', port: fresh.ports[0]! }], remove: [id(dead)] });
    }
    removedAt.set(id(dead), at);
    addedAt.set(id(fresh), at);
  };

  let requests = 0;
  let failed = 0;
  let refusedFailed = 0;
  let inFlight = 0;
  const one = async () => {
    requests++;
    inFlight++;
    try {
      const res = balanced
        ? await balanced.request({ path: '/', method: 'GET' })
        : await client!.dispatcher.request({ origin: 'http://svc', path: '/', method: 'GET' });
      await res.body.text();
      if (res.statusCode >= 500) failed++;
    } catch (error) {
      failed++;
      if (refused(error)) refusedFailed++;
    } finally {
      inFlight--;
    }
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const start = performance.now();
  const end = start + CHURN_SECONDS * 1000;
  let sent = 0;
  let kills = 0;
  let nextKill = start + KILL_EVERY_MS;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.min(Math.floor(((now - start) * RATE_PER_S) / 1000), CHURN_SECONDS * RATE_PER_S);
      while (sent < due) {
        sent++;
        void one();
      }
      if (now >= nextKill && now < end) {
        nextKill += KILL_EVERY_MS;
        kills++;
        const dead = live.shift()!;
        kill(dead);
        children.delete(dead);
        void spare.then((fresh) => {
          children.add(fresh);
          live.push(fresh);
          if (registryLagMs === 0) tellRegistry(dead, fresh);
          else setTimeout(() => tellRegistry(dead, fresh), registryLagMs);
        });
        spare = spawnServer(1);
      }
      if (now >= end) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  loopDelay.disable();
  for (let i = 0; i < 500 && inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
  await client?.close();
  await balanced?.destroy();
  for (const c of live) {
    kill(c);
    children.delete(c);
  }
  const s = await spare;
  kill(s);

  const result: ChurnResult = {
    kind,
    registryLagMs,
    requests,
    failed,
    failedPct: (failed / requests) * 100,
    attempts: balanced ? requests : outcomes.length,
    extraAttemptsPct: balanced ? 0 : ((outcomes.length - requests) / requests) * 100,
    kills,
    eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    refusedAttempts: outcomes.filter((o) => o.failure === 'connect').length,
    refusedFailed,
    inFlightFailures: outcomes.filter((o) => !o.ok && o.failure !== 'connect' && o.failure !== 'local').length,
  };
  if (!balanced) {
    const firstNew = [...addedAt].filter(([k]) => log.first.has(k)).map(([k, at]) => log.first.get(k)! - at);
    const lastRemoved = [...removedAt].map(([k, at]) => Math.max(0, (log.last.get(k) ?? at) - at));
    const toPicker = pushAt.map((at) => (log.builds.find((b) => b >= at) ?? Number.NaN) - at).filter(Number.isFinite);
    Object.assign(result, {
      firstPickNewP50Ms: quantile(firstNew, 0.5),
      firstPickNewP99Ms: quantile(firstNew, 0.99),
      lastPickRemovedP50Ms: quantile(lastRemoved, 0.5),
      lastPickRemovedP99Ms: quantile(lastRemoved, 0.99),
      eventToPickerP50Us: quantile(toPicker, 0.5) * 1000,
      eventToPickerP99Us: quantile(toPicker, 0.99) * 1000,
    });
  }
  return result;
}

// ---------------------------------------------------------------- 3. registry event → picker, idle process

async function eventToPicker(rounds: number): Promise<number[]> {
  const source = createFakeSource({ endpoints: [{ address: '127.0.0.1', port: 1000 }] });
  const log: PickLog = { first: new Map(), last: new Map(), builds: [] };
  const client = createClient({ services: { svc: 'fake://svc' }, schemes: { fake: () => source }, balancer: timed(leastRequest(), log) });
  // The first call waits for the first snapshot (and fails to connect: nothing listens there).
  await client.fetch('http://svc/', { retry: false }).catch(() => {});
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const builds = log.builds.length;
    const at = performance.now();
    source.push({ upsert: [{ address: '127.0.0.1', port: 2000 + i }] });
    while (log.builds.length === builds) await new Promise((r) => setImmediate(r));
    out.push((log.builds[builds]! - at) * 1000);
  }
  await client.close();
  return out;
}

// ---------------------------------------------------------------- run

if (process.env.WF_BENCH_CASE) {
  await caseWorker(process.env.WF_BENCH_KIND ?? 'loopback', process.env.WF_BENCH_CASE, JSON.parse(process.env.WF_BENCH_PORTS!) as number[]);
} else {
  await main();
}

async function main(): Promise<void> {
const t0 = performance.now();
const loadBefore = os.loadavg()[0]!;
const syntheticRows = await synthetic();
const cpu = process.env.SKIP_LOOPBACK ? { isolated: [], shared: [] } : await loopback();
const idleEventUs = await eventToPicker(300);
const churnRuns: ChurnResult[] = [];
const LAGS = (process.env.CHURN_LAGS ?? '0,1000').split(',').map(Number);
const KINDS = (process.env.CHURN_KINDS ?? 'balanced-pool,wayfinder-no-retries,wayfinder-defaults').split(',') as Kind[];
for (const lag of LAGS) {
  for (const kind of KINDS) {
    churnRuns.push({ ...(await churn(kind, lag)), loadAverage: Number(os.loadavg()[0]!.toFixed(1)) });
    console.log(JSON.stringify(churnRuns.at(-1)));
  }
}
const fmt = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : Number(v.toFixed(digits)));
const cpuTable = (rows: CpuRow[], where: string) => {
  const p99 = (n: CaseName) => rows.find((r) => r.name === n)?.p99Ms ?? Number.NaN;
  return {
    title: `Loopback, ${where}: client CPU per request (${CONCURRENCY} concurrent, ${ROUNDS} interleaved rounds; load average ${loadBefore.toFixed(1)} at start)`,
    columns: ['case', 'CPU µs/req', 'Δ vs plain (µs)', 'req/s', 'req/s vs BalancedPool', 'p50 ms', 'p99 ms', 'p99 / plain'],
    rows: rows.map((c) => [
      c.name,
      fmt(c.cpuUsPerRequest, 1),
      fmt(c.deltaUs, 1),
      Math.round(c.requestsPerS),
      fmt(c.vsBalancedPool),
      fmt(c.p50Ms, 3),
      fmt(c.p99Ms, 3),
      fmt(c.p99Ms / p99(c.name.includes('fetch') ? 'global fetch (1 backend)' : 'undici Pool.request (1 backend)')),
    ]),
    note: 'Medians over rounds; Δ and the BalancedPool ratio are medians of same-round differences/ratios. Wayfinder cases use leastRequest() from @wayfinder/balancer over 4 backends (one row roundRobin(), the policy family of BalancedPool); the plain cases go to one fixed backend. Goals: request path ≤ plain request + 3 µs and ≥ BalancedPool throughput; fetch path ≤ plain fetch + 5 µs; p99 ≤ 1.1× plain.',
  };
};
const { md } = writeResults(
  'client',
  { cpu, synthetic: syntheticRows, idleEventToPickerUs: { p50: quantile(idleEventUs, 0.5), p99: quantile(idleEventUs, 0.99) }, churn: churnRuns, churnSeconds: CHURN_SECONDS, loadBefore, totalSeconds: (performance.now() - t0) / 1000, machine: machine() },
  [
    cpuTable(cpu.isolated, 'each client in its own process'),
    cpuTable(cpu.shared, 'all clients in one process'),
    {
      title: 'Client-side cost without sockets (every connection answers at once; each case in its own process; 16 concurrent, 9 interleaved rounds)',
      columns: ['case', 'CPU µs/req', 'Δ vs plain (µs)'],
      rows: syntheticRows.map((r) => [r.name, fmt(r.cpuUsPerRequest, 2), fmt(r.deltaUs, 2)]),
      note: "Through the pools' `factory` option, undici's per-connection clients are replaced by one that answers a 200 with a 2-byte body on the next microtask: the figures are the request API, the pools and (for Wayfinder) the pick, the handler and the outcome reporting, without sockets, syscalls or the server's timing. Δ: request cases vs Pool.request, fetch cases vs Node's fetch given an undici Pool (same fake connections) as dispatcher; medians of same-round differences.",
    },
    {
      title: `Churn: ${RATE_PER_S} req/s open loop for ${CHURN_SECONDS} s, 6 backends, one SIGKILLed and replaced every ${KILL_EVERY_MS} ms`,
      columns: ['client', 'registry lag', 'requests', 'failed', 'failed %', 'extra attempts %', 'kills', 'failed refused', 'refused attempts', 'in-flight failures', 'event-loop p99 ms', 'load avg'],
      rows: churnRuns.map((r) => [
        r.kind,
        `${r.registryLagMs} ms`,
        r.requests,
        r.failed,
        fmt(r.failedPct, 3),
        fmt(r.extraAttemptsPct, 3),
        r.kills,
        r.refusedFailed,
        r.kind === 'balanced-pool' ? '–' : r.refusedAttempts,
        r.kind === 'balanced-pool' ? '–' : r.inFlightFailures,
        fmt(r.eventLoopDelayP99Ms, 1),
        r.loadAverage ?? '–',
      ]),
      note: 'All requests are GETs (idempotent). Wayfinder runs use leastRequest() and the request path (client.dispatcher.request()). "failed refused" are requests that failed with a refused connection (goal without retries: at most one per dead endpoint, so ≤ kills); "refused attempts" are attempts sent to a dead endpoint, including those already on their way when the first refusal came back, which are failed over to another endpoint; "in-flight failures" are attempts reset by the kill (or written to a connection it had closed). A high event-loop p99 means the client process was starved of CPU (the machine is shared).',
    },
    {
      title: 'Churn: registry event to picker (Wayfinder)',
      columns: ['client', 'registry lag', 'event → new picker p50 / p99 (µs)', 'event → first pick of new endpoint p50 / p99 (ms)', 'event → last pick of removed endpoint p50 / p99 (ms)'],
      rows: churnRuns
        .filter((r) => r.kind !== 'balanced-pool')
        .map((r) => [
          r.kind,
          `${r.registryLagMs} ms`,
          `${fmt(r.eventToPickerP50Us, 0)} / ${fmt(r.eventToPickerP99Us, 0)}`,
          `${fmt(r.firstPickNewP50Ms)} / ${fmt(r.firstPickNewP99Ms)}`,
          `${fmt(r.lastPickRemovedP50Ms)} / ${fmt(r.lastPickRemovedP99Ms)}`,
        ]),
      note: `Measured from the fake registry push (in process) to the balancer rebuild, and to the first/last pick, under the churn load. In an idle process, push → new picker: p50 ${idleEventUs.length ? quantile(idleEventUs, 0.5).toFixed(0) : '–'} µs, p99 ${idleEventUs.length ? quantile(idleEventUs, 0.99).toFixed(0) : '–'} µs (300 pushes).`,
    },
  ],
);
console.log(`wrote ${md} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
release();
process.exit(0);
}
