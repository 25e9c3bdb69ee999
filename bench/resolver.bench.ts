/**
 * Resolver benchmarks: the cost of applying one change to a large snapshot (incremental vs a full
 * rebuild, measured in the same run), the in-process latency from a registry event to the
 * published snapshot, and the latency from a file edit to the new snapshot of a `file://` watch.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEndpointChanges, createEndpoint, createEndpointSet, createResolver } from '@wayfinder/core';
import { createFakeSource } from '@wayfinder/core/fake';
import { holdProcess, median, quantile, writeResults } from './lib.js';

const release = holdProcess();

const N = 10_000;
const endpoints = Array.from({ length: N }, (_, i) => createEndpoint({ address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 8080 }));
const set = createEndpointSet(endpoints, { revision: '1' });

function timeUs(fn: () => unknown, rounds: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return out;
}

// 1. One endpoint changed in 10 000 (the changed endpoints are made before timing: parsing is
// the source's cost, not the snapshot's).
const ROUNDS = 300;
const changed = Array.from({ length: ROUNDS }, (_, r) => createEndpoint({ ...endpoints[(r * 37) % N]!, ready: false }));
let current = set;
let k = 0;
const incremental = timeUs(() => {
  current = applyEndpointChanges(current, { upsert: [changed[k++ % ROUNDS]!] });
  return current;
}, ROUNDS);
k = 0;
const rebuild = timeUs(() => {
  const list = endpoints.slice();
  list[(k * 37) % N] = changed[k++ % ROUNDS]!;
  return createEndpointSet(list);
}, ROUNDS);

// 2. Registry event → subscriber, in process (the fake source delivers on the same tick).
const source = createFakeSource({ endpoints: [{ address: '10.0.0.1', port: 80 }] });
const resolver = createResolver({ target: 'fake://bench', source });
await resolver.ready();
const eventToPublish: number[] = [];
for (let i = 0; i < 500; i++) {
  const seen = new Promise<void>((resolve) => {
    const off = resolver.subscribe((s) => {
      if (s.endpoints.has(`10.0.1.${i % 250}:${8000 + i}`)) {
        off();
        resolve();
      }
    });
  });
  const start = process.hrtime.bigint();
  source.push({ upsert: [{ address: `10.0.1.${i % 250}`, port: 8000 + i }] });
  await seen;
  eventToPublish.push(Number(process.hrtime.bigint() - start) / 1000);
}
await resolver.close();

// 3. File edit → snapshot through a file:// watch.
const dir = mkdtempSync(path.join(os.tmpdir(), 'wf-bench-'));
const file = path.join(dir, 'endpoints.json');
writeFileSync(file, JSON.stringify([{ address: '127.0.0.1', port: 1 }]));
const fileResolver = createResolver({ target: `file://${file}` });
await fileResolver.ready();
const fileEdit: number[] = [];
for (let i = 2; i < 52; i++) {
  const seen = new Promise<void>((resolve) => {
    const off = fileResolver.subscribe((s) => {
      if (s.endpoints.has(`127.0.0.1:${i}`)) {
        off();
        resolve();
      }
    });
  });
  const start = process.hrtime.bigint();
  writeFileSync(file, JSON.stringify([{ address: '127.0.0.1', port: i }]));
  await seen;
  fileEdit.push(Number(process.hrtime.bigint() - start) / 1e6);
  await new Promise((r) => setTimeout(r, 20));
}
await fileResolver.close();
rmSync(dir, { recursive: true, force: true });

const data = {
  oneChangeIn10k: { incrementalUsMedian: median(incremental), rebuildUsMedian: median(rebuild), ratio: median(rebuild) / median(incremental) },
  eventToPublishUs: { p50: quantile(eventToPublish, 0.5), p99: quantile(eventToPublish, 0.99) },
  fileEditToSnapshotMs: { p50: quantile(fileEdit, 0.5), p99: quantile(fileEdit, 0.99), max: Math.max(...fileEdit) },
};
const out = writeResults('resolver', data, [
  {
    title: 'Applying one changed endpoint to a 10 000-endpoint snapshot',
    columns: ['method', 'median µs', 'ratio to incremental'],
    rows: [
      ['applyEndpointChanges (incremental: one 256-entry chunk copied)', data.oneChangeIn10k.incrementalUsMedian, 1],
      ['createEndpointSet (full rebuild and sort, baseline)', data.oneChangeIn10k.rebuildUsMedian, data.oneChangeIn10k.ratio],
    ],
  },
  {
    title: 'Latency to a published snapshot',
    columns: ['path', 'p50', 'p99'],
    rows: [
      ['registry event → subscriber, in process (µs)', data.eventToPublishUs.p50, data.eventToPublishUs.p99],
      ['file edit → `file://` watch snapshot (ms)', data.fileEditToSnapshotMs.p50, data.fileEditToSnapshotMs.p99],
    ],
    note: 'Goal: a file edit shows up in `watch` within 100 ms.',
  },
]);
console.log(JSON.stringify(data, null, 2));
console.log(`wrote ${out.md}`);
release();
