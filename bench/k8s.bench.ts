/**
 * `pnpm bench k8s`: Wayfinder's k8s source against @kubernetes/client-node's informer, both
 * watching the same EndpointSlices on the fake API server (test/k8s/fake-api-server.ts):
 * 10 000 endpoints in 100 slices, then 1 000 updates of one slice each.
 *
 * The orchestrator (this file without arguments) runs the fake server; each client runs in its
 * own child process (this file with `client <name> <url>`) so CPU and heap figures are its own.
 * Per update, the orchestrator changes one slice and waits until the client has applied it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { startFakeApiServer } from '../test/k8s/fake-api-server.js';
import { podEndpoint, slice } from '../test/k8s/fake-api-objects.js';
import { formatNumber, machine, writeResults } from './lib.js';

const SLICES = 100;
const PER_SLICE = 100;
const UPDATES = 1_000;
const NAMESPACE = 'bench';
const SERVICE = 'planner';
const LABEL_SELECTOR = `kubernetes.io/service-name=${SERVICE}`;

type ToParent = { type: 'ready'; firstSnapshotMs: number; firstSnapshotCpuMs: number; endpoints: number } | { type: 'applied'; rv: number } | { type: 'done'; cpuUs: number; heapGrowthBytes: number; heldBytes: number; updates: number };
type ToChild = { type: 'measure' } | { type: 'finish' } | { type: 'exit' };

const ip = (s: number, e: number, gen = 0) => `10.${gen * 2 + Math.floor(s / 250)}.${s % 250}.${e + 1}`;

function sliceOf(s: number, generation: number[]) {
  return slice({
    name: `${SERVICE}-${String(s).padStart(3, '0')}`,
    service: SERVICE,
    namespace: NAMESPACE,
    endpoints: Array.from({ length: PER_SLICE }, (_, e) => podEndpoint(ip(s, e, e === generation[s]! % PER_SLICE ? 1 + (generation[s]! % 7) : 0))),
    ports: [{ name: 'grpc', port: 9090, protocol: 'TCP' }],
  });
}

async function orchestrate(): Promise<void> {
  const server = await startFakeApiServer({ bookmarkIntervalMs: 60_000 });
  const generation = Array.from({ length: SLICES }, () => -1);
  for (let s = 0; s < SLICES; s++) server.apply(sliceOf(s, generation));
  const results: Record<string, { firstSnapshotMs: number; firstSnapshotCpuMs: number; cpuUsPerUpdate: number; heapBytesPerUpdate: number; heldMiB: number; endpoints: number; callbacks: number }> = {};
  const only = process.env.K8S_BENCH_ONLY;
  for (const name of ['wayfinder', 'wayfinder-source', 'client-node'] as const) {
    if (only && only !== name) continue;
    const profile = process.env.K8S_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.K8S_BENCH_PROF}`] : [];
    const child = fork(import.meta.filename, ['client', name, server.url], { execArgv: ['--expose-gc', ...profile, '--conditions=@wayfinder/source', '--import', 'tsx'] });
    let applied = 0;
    let waiter: (() => void) | undefined;
    let target = Number.POSITIVE_INFINITY;
    const messages: ToParent[] = [];
    let wake: (() => void) | undefined;
    child.on('message', (m: ToParent) => {
      if (m.type === 'applied') {
        applied = Math.max(applied, m.rv);
        if (applied >= target) waiter?.();
        return;
      }
      messages.push(m);
      wake?.();
    });
    const next = async <T extends ToParent['type']>(type: T): Promise<Extract<ToParent, { type: T }>> => {
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return messages.splice(i, 1)[0] as Extract<ToParent, { type: T }>;
        await new Promise<void>((r) => (wake = r));
      }
    };
    const ready = await next('ready');
    send(child, { type: 'measure' });
    for (let u = 0; u < UPDATES; u++) {
      const s = (u * 37) % SLICES;
      generation[s]!++;
      target = Number(server.apply(sliceOf(s, generation)));
      if (applied < target) await new Promise<void>((r) => (waiter = r));
    }
    send(child, { type: 'finish' });
    const done = await next('done');
    child.send({ type: 'exit' });
    await new Promise((r) => child.once('exit', r));
    results[name] = {
      firstSnapshotMs: ready.firstSnapshotMs,
      firstSnapshotCpuMs: ready.firstSnapshotCpuMs,
      cpuUsPerUpdate: done.cpuUs / done.updates,
      heapBytesPerUpdate: done.heapGrowthBytes / done.updates,
      heldMiB: done.heldBytes / 2 ** 20,
      endpoints: ready.endpoints,
      callbacks: done.updates,
    };
    console.log(name, results[name]);
  }
  await server.close();
  if (only) return;
  const w = results.wayfinder!;
  const a = results['wayfinder-source']!;
  const k = results['client-node']!;
  const ratio = (a: number, b: number) => `${formatNumber(a / b)}×`;
  const rows: (string | number)[][] = [
    ['time to first complete snapshot (ms)', w.firstSnapshotMs, a.firstSnapshotMs, k.firstSnapshotMs, ratio(w.firstSnapshotMs, k.firstSnapshotMs), ratio(a.firstSnapshotMs, k.firstSnapshotMs)],
    ['CPU for the first snapshot (ms)', w.firstSnapshotCpuMs, a.firstSnapshotCpuMs, k.firstSnapshotCpuMs, ratio(w.firstSnapshotCpuMs, k.firstSnapshotCpuMs), ratio(a.firstSnapshotCpuMs, k.firstSnapshotCpuMs)],
    ['CPU per slice update (µs)', w.cpuUsPerUpdate, a.cpuUsPerUpdate, k.cpuUsPerUpdate, ratio(w.cpuUsPerUpdate, k.cpuUsPerUpdate), ratio(a.cpuUsPerUpdate, k.cpuUsPerUpdate)],
    ['heap allocated per update (KiB, approx.)', w.heapBytesPerUpdate / 1024, a.heapBytesPerUpdate / 1024, k.heapBytesPerUpdate / 1024, ratio(w.heapBytesPerUpdate, k.heapBytesPerUpdate), ratio(a.heapBytesPerUpdate, k.heapBytesPerUpdate)],
    ['memory held after the updates (MiB)', w.heldMiB, a.heldMiB, k.heldMiB, ratio(w.heldMiB, k.heldMiB), ratio(a.heldMiB, k.heldMiB)],
  ];
  const { md } = writeResults('k8s', { machine: machine(), slices: SLICES, perSlice: PER_SLICE, updates: UPDATES, results }, [
    {
      title: `${SLICES * PER_SLICE} endpoints in ${SLICES} slices, then ${UPDATES} slice updates`,
      columns: ['figure', 'Wayfinder (source + resolver snapshots)', 'Wayfinder source alone', '@kubernetes/client-node 1.4.0 informer', 'resolver / informer', 'source / informer'],
      rows,
      note: 'Each client in its own process against the same fake API server (plain http, no auth); one update at a time, measured until the client has applied it. The informer only caches slices (no merge into endpoints); the Wayfinder source merges them into endpoint changes, and the resolver also publishes a whole frozen snapshot of all 10 000 endpoints per change (sharing all but one 256-entry chunk with the previous one). Lower is better; a ratio below 1× favours Wayfinder.',
    },
  ]);
  console.log(`results in ${md}`);
}

function send(child: ChildProcess, message: ToChild): void {
  child.send(message);
}

async function runClient(name: string, url: string): Promise<void> {
  const post = (m: ToParent) => process.send!(m);
  let measuring = false;
  let updates = 0;
  let heapGrowth = 0;
  let lastHeap = 0;
  let cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  const onApplied = (rv: number) => {
    if (measuring) {
      updates++;
      const heap = process.memoryUsage().heapUsed;
      if (heap > lastHeap) heapGrowth += heap - lastHeap;
      lastHeap = heap;
    }
    post({ type: 'applied', rv });
  };
  global.gc!();
  global.gc!();
  const baseline = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let keep: unknown;
  let endpoints = 0;
  if (name === 'wayfinder') {
    const { createResolver } = await import('@wayfinder/core');
    const { k8sEndpointSlices } = await import('@wayfinder/adapters');
    const source = k8sEndpointSlices({ service: SERVICE, namespace: NAMESPACE, api: url, env: {} });
    const resolver = createResolver({ target: source.describe(), source });
    const state = await resolver.ready({ timeoutMs: 60_000 });
    endpoints = state.endpoints.size;
    resolver.subscribe((s) => onApplied(Number(s.endpoints.revision)));
    keep = resolver;
  } else if (name === 'wayfinder-source') {
    // The adapter alone (list + watch, merge into endpoint changes), without the resolver's snapshots.
    const { systemClock } = await import('@wayfinder/core');
    const { k8sEndpointSlices } = await import('@wayfinder/adapters');
    const source = k8sEndpointSlices({ service: SERVICE, namespace: NAMESPACE, api: url, env: {} });
    const context = { signal: new AbortController().signal, clock: systemClock, random: Math.random };
    const listed = await source.list(context);
    endpoints = listed.endpoints.length;
    keep = listed;
    void (async () => {
      for await (const event of source.watch!(listed.cursor, context)) {
        if (event.type === 'changes') onApplied(Number(event.revision));
      }
    })();
  } else {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
      users: [{ name: 'none' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'none' }],
      currentContext: 'fake',
    });
    const api = kc.makeApiClient(k8s.DiscoveryV1Api);
    const informer = k8s.makeInformer(
      kc,
      `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`,
      () => api.listNamespacedEndpointSlice({ namespace: NAMESPACE, labelSelector: LABEL_SELECTOR }),
      LABEL_SELECTOR,
    );
    const rvOf = (o: { metadata?: { resourceVersion?: string } }) => Number(o.metadata?.resourceVersion);
    informer.on('update', (o) => onApplied(rvOf(o)));
    informer.on('add', (o) => onApplied(rvOf(o)));
    informer.on('error', (e) => console.error('informer error', e));
    await informer.start();
    endpoints = informer.list(NAMESPACE).reduce((n, s) => n + (s.endpoints?.length ?? 0), 0);
    keep = informer;
  }
  const firstSnapshotMs = performance.now() - t0;
  const cpu1 = process.cpuUsage(cpu0);
  post({ type: 'ready', firstSnapshotMs, firstSnapshotCpuMs: (cpu1.user + cpu1.system) / 1000, endpoints });
  process.on('message', (m: ToChild) => {
    if (m.type === 'measure') {
      updates = 0;
      heapGrowth = 0;
      lastHeap = process.memoryUsage().heapUsed;
      cpuStart = process.cpuUsage();
      measuring = true;
    } else if (m.type === 'exit') {
      process.exit(0);
    } else {
      measuring = false;
      const cpu = process.cpuUsage(cpuStart);
      global.gc!();
      global.gc!();
      const held = process.memoryUsage().heapUsed - baseline;
      void keep;
      post({ type: 'done', cpuUs: cpu.user + cpu.system, heapGrowthBytes: heapGrowth, heldBytes: held, updates: Math.max(1, updates) });
    }
  });
}

if (process.argv[2] === 'client') {
  await runClient(process.argv[3]!, process.argv[4]!);
} else {
  await orchestrate();
  process.exit(0);
}
