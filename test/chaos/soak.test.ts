import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ManagedProcess, startProcess } from '../harness/processes.js';
import { ROOT } from './lib/backends.js';
import { ms } from './lib/load.js';
import { recordScenario } from './lib/report.js';
import { scaled } from './lib/scale.js';

const PICKS = scaled(1_000_000);
const CHANGES = scaled(100_000);
/** Generous: a leak of one small object per pick or per change would exceed it by far. */
const MAX_RETAINED_BYTES = 20 * 2 ** 20;

let proc: ManagedProcess | undefined;
afterAll(async () => {
  await proc?.stop({ signal: 'SIGKILL' });
});

describe('soak: picks and snapshot changes', () => {
  it(`retains no memory beyond noise over ${PICKS} picks and ${CHANGES} snapshot changes`, async () => {
    // A child process: `--expose-gc` for full collections before each heap reading.
    proc = startProcess(process.execPath, ['--expose-gc', '--conditions=@wayfinder/source', '--import', 'tsx', path.join(import.meta.dirname, 'lib/soak-main.ts'), String(PICKS), String(CHANGES)], {
      name: 'chaos-soak',
      cwd: ROOT,
    });
    const code = await Promise.race([proc.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 240_000).unref())]);
    expect(code, proc.output().slice(-2000)).toBe(0);
    const line = proc.output().trim().split('\n').at(-1)!;
    const r = JSON.parse(line) as { picks: number; unavailable: number; changes: number; heapBefore: number; heapAfter: number; elapsedMs: number };
    const retained = r.heapAfter - r.heapBefore;
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MB`;

    recordScenario({
      id: 'soak',
      order: 6,
      title: 'Soak: picks and snapshot changes',
      setup:
        `A child process (\`--expose-gc\`): a resolver over a fake source with 50 endpoints, a least request balancer rebuilt on every published snapshot; ` +
        `${CHANGES} changes (each replaces one endpoint by a new id, so per-endpoint state must be dropped), ${PICKS} picks with their start/end hooks. Heap read after three full GCs, after a warm-up of 1 000 changes.`,
      figures: [
        ['heap retained (after − before)', `${mb(retained)} (bound ${mb(MAX_RETAINED_BYTES)})`],
        ['heap before / after', `${mb(r.heapBefore)} / ${mb(r.heapAfter)}`],
        ['picks / unavailable', `${r.picks} / ${r.unavailable}`],
        ['snapshots published and rebuilt', r.changes],
        ['duration (changes are awaited one by one)', ms(r.elapsedMs)],
      ],
      asserted: [`every pick found an endpoint; every change was published`, `heap growth below ${mb(MAX_RETAINED_BYTES)}`],
    });

    expect(r.picks).toBe(PICKS);
    expect(r.unavailable).toBe(0);
    expect(r.changes).toBe(CHANGES);
    expect(retained).toBeLessThan(MAX_RETAINED_BYTES);
  });
});
