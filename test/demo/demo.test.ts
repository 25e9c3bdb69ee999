import { describe, expect, it } from 'vitest';
import { runDemo } from './run-demo.js';

describe('pnpm demo (embedded dev registry, short mode)', () => {
  it('sends a bounded stream with no failed request while a backend is killed, one drained, one slowed and one joins', async () => {
    const run = await runDemo(['--duration-ms', '6000', '--json']);
    expect(run.summary, run.output).toBeDefined();
    const s = run.summary!;
    expect(run.code, run.output).toBe(0);
    expect(s.mode).toBe('embedded');
    expect(s.sent).toBeGreaterThan(0);
    expect(s.failed, s.failures.join('; ')).toBe(0);
    expect(s.succeeded).toBe(s.sent);
    expect(s.events.map((e) => e.kind)).toEqual(['kill', 'drain', 'slow', 'join']);
    for (const e of s.events) expect(e.done, `${e.kind}: ${JSON.stringify(e.observed)}`).toBe(true);

    const [kill, drain, slow, join] = s.events as [(typeof s.events)[0], (typeof s.events)[0], (typeof s.events)[0], (typeof s.events)[0]];
    // The killed backend left the set only when its registration expired (it never deregistered).
    expect(kill.observed['removedAfterMs']).toBeGreaterThan(0);
    expect(Object.keys(kill.sharesBefore)).toContain(kill.backend);
    // The drained backend was seen terminating, then gone, and dropped no call.
    expect(drain.observed['terminatingAfterMs']).toBeLessThanOrEqual(drain.observed['goneAfterMs']!);
    expect(drain.observed['cut']).toBe(0);
    expect(Object.keys(slow.sharesBefore)).toContain(slow.backend);
    // The new backend received traffic after it joined.
    expect(join.sharesAfter[join.backend]).toBeGreaterThan(0);
    expect(s.shares[join.backend]).toBeGreaterThan(0);
    // Conversations bound to the killed or drained backend moved, and only those.
    for (const m of s.stickyMoves) expect([kill.backend, drain.backend]).toContain(m.from);

    expect(run.output).toContain('Summary: embedded dev registry');
    expect(run.output).toContain('failed          0');
    expect(run.output).toMatch(/sticky keys moved: \d+ of 12 conversations/);
    // Not a TTY: plain lines, no cursor moves.
    expect(run.output).not.toContain('\x1b[');
  });

  it('rejects an unknown option with exit code 2 and the usage', async () => {
    const run = await runDemo(['--no-such-option']);
    expect(run.code).toBe(2);
    expect(run.output).toContain('--no-such-option');
    expect(run.output).toContain('usage: pnpm demo');
  });
});
