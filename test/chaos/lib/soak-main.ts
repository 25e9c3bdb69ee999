/**
 * The soak, run in a child process with `--expose-gc`: a resolver over a fake source, a least
 * request balancer rebuilt on every snapshot, `changes` snapshot changes (one endpoint replaced
 * by a new id each time, so per-endpoint state must be dropped) and `picks` picks with their
 * start/end hooks. Prints one JSON line with the heap before and after (after full GCs).
 * Arguments: `<picks> <changes>`.
 */
import { leastRequest } from '@wayfinder/balancer';
import { createResolver, type Picker } from '@wayfinder/core';
import { createFakeSource } from '@wayfinder/core/fake';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const picks = Number(process.argv[2] ?? 1_000_000);
const changes = Number(process.argv[3] ?? 100_000);
const ENDPOINTS = 50;

const endpoint = (n: number) => ({ id: `ep-${n}`, address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 8080 });
const source = createFakeSource({ endpoints: Array.from({ length: ENDPOINTS }, (_, i) => endpoint(i)) });
const resolver = createResolver({ target: 'fake://soak', source });
const balancer = leastRequest().create({});
let picker: Picker | undefined;
let published = 0;
resolver.subscribe((state) => {
  picker = balancer.build(state.endpoints);
  published++;
});
await resolver.ready({ timeoutMs: 10_000 });

let next = ENDPOINTS;
let picked = 0;
let unavailable = 0;
const pickSome = (n: number) => {
  for (let i = 0; i < n; i++) {
    const result = picker!.pick();
    if (result.type !== 'endpoint') {
      unavailable++;
      continue;
    }
    result.onStart();
    result.onEnd({ ok: i % 50 !== 0, latencyMs: 1 + (i % 7) });
    picked++;
  }
};
const change = async () => {
  const before = published;
  source.push({ upsert: [endpoint(next)], remove: [`ep-${next - ENDPOINTS}`] });
  next++;
  for (let spins = 0; published === before; spins++) {
    if (spins > 10_000) throw new Error('snapshot not published');
    await new Promise((r) => setImmediate(r));
  }
};
const heap = () => {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
};

// Warm-up (JIT, pools), then the measured run.
for (let i = 0; i < 1000; i++) {
  await change();
  pickSome(10);
}
picked = 0;
const heapBefore = heap();
const publishedBefore = published;
const started = performance.now();
const picksPerChange = Math.max(1, Math.floor(picks / changes));
for (let c = 0; c < changes; c++) {
  await change();
  pickSome(picksPerChange);
}
pickSome(picks - picked);
const elapsedMs = performance.now() - started;
const heapAfter = heap();
await resolver.close();
process.stdout.write(
  `${JSON.stringify({ picks: picked, unavailable, changes: published - publishedBefore, heapBefore, heapAfter, elapsedMs })}\n`,
);
