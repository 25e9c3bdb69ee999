import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Shared plumbing of `pnpm bench`: every benchmark measures its baselines in the same run,
 * reports ratios, and writes `bench/results/<name>.json` and `bench/results/<name>.md`.
 */
export const RESULTS_DIR = path.resolve(import.meta.dirname, 'results');

/** Date, Node version, CPU model and core count: printed beside every figure. */
export function machine(): { date: string; node: string; cpu: string; cores: number; memoryGiB: number; platform: string } {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
  };
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  /** A sentence under the table: what the baseline is, what the goal is. */
  note?: string;
}

/** Writes the JSON (raw data) and markdown (tables) results of one benchmark. */
export function writeResults(name: string, data: unknown, tables: Table[]): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const m = machine();
  const json = path.join(RESULTS_DIR, `${name}.json`);
  const md = path.join(RESULTS_DIR, `${name}.md`);
  writeFileSync(json, `${JSON.stringify({ name, machine: m, data }, null, 2)}\n`);
  const text = [
    `# ${name}`,
    '',
    `Measured ${m.date.slice(0, 10)} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), Node ${m.node}, ${m.platform}.`,
    '',
    ...tables.flatMap((t) => [`## ${t.title}`, '', markdownTable(t.columns, t.rows), ...(t.note ? ['', t.note] : []), '']),
  ].join('\n');
  writeFileSync(md, `${text}\n`);
  return { json, md };
}

export function markdownTable(columns: string[], rows: (string | number)[][]): string {
  const fmt = (v: string | number) => (typeof v === 'number' ? formatNumber(v) : v);
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`)].join('\n');
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Times `fn` over `iterations` calls in several rounds and returns the median ns per call.
 * Use for hot loops (picks); keep `fn` free of allocation you do not mean to measure.
 */
export function nsPerOp(fn: (i: number) => unknown, { iterations = 1_000_000, rounds = 7 } = {}): number {
  let sink: unknown;
  const results: number[] = [];
  for (let w = 0; w < Math.min(iterations, 100_000); w++) sink = fn(w);
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = fn(i);
    results.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  blackhole(sink);
  return median(results);
}

let hole: unknown;
/** Keeps a value alive so the optimiser cannot drop the work that made it. */
export function blackhole(value: unknown): void {
  hole = value;
}
export function _hole(): unknown {
  return hole;
}

/**
 * Keeps the process alive until the returned function is called. Wayfinder's timers and watches
 * never hold a process open, so a benchmark that awaits them holds it itself.
 */
export function holdProcess(): () => void {
  const timer = setInterval(() => {}, 1 << 30);
  return () => clearInterval(timer);
}
