import path from 'node:path';
import { startProcess } from '../harness/processes.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface DemoRun {
  code: number | null;
  output: string;
  /** The `SUMMARY {...}` line, parsed (undefined when missing). */
  summary: DemoSummaryJson | undefined;
}

/** The fields of the demo's JSON summary the tests read. */
export interface DemoSummaryJson {
  mode: 'embedded' | 'target';
  target: string;
  sent: number;
  succeeded: number;
  failed: number;
  retried: number;
  failures: string[];
  events: { kind: string; backend: string; done: boolean; observed: Record<string, number>; sharesBefore: Record<string, number>; sharesAfter: Record<string, number> }[];
  stickyMoves: { key: string; from: string; to: string }[];
  shares: Record<string, number>;
}

/** Runs `scripts/demo.ts` as `pnpm demo` does (source conditions, tsx), bounded by `timeoutMs`. */
export async function runDemo(args: string[], { timeoutMs = 45_000 } = {}): Promise<DemoRun> {
  const proc = startProcess(process.execPath, ['--conditions=@wayfinder/source', '--import', 'tsx', 'scripts/demo.ts', ...args], {
    name: 'demo',
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  const timer = setTimeout(() => void proc.stop({ signal: 'SIGKILL' }), timeoutMs);
  const code = await proc.exited;
  clearTimeout(timer);
  const output = proc.output();
  const line = output.split('\n').find((l) => l.startsWith('SUMMARY '));
  return { code, output, summary: line ? (JSON.parse(line.slice('SUMMARY '.length)) as DemoSummaryJson) : undefined };
}
