import { createResolver, type Resolver } from '@wayfinder/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createDemoStats } from '../../scripts/demo/stats.js';
import { startLiveView } from '../../scripts/demo/view.js';
import { waitFor } from '../harness/processes.js';

describe('demo live view', () => {
  let resolver: Resolver | undefined;
  afterEach(async () => {
    await resolver?.close();
  });

  const setup = async (tty: boolean) => {
    resolver = createResolver({ target: 'static://127.0.0.1:9001,127.0.0.1:9002' });
    await resolver.ready({ timeoutMs: 5000 });
    const stats = createDemoStats();
    const endpoint = resolver.current!.endpoints.endpoints[0]!;
    stats.onAttempt({ service: 'agents', endpoint, attempt: 1, outcome: { ok: true, status: 200, latencyMs: 3 } });
    stats.inFlight.set(endpoint.id, 2);
    let out = '';
    const view = startLiveView({ stats, resolver, tty, write: (t) => (out += t), notes: new Map([[endpoint.id, 'slow']]), durationMs: 4000 });
    return { view, output: () => out };
  };

  it('redraws a table of endpoints in place on a TTY with cursor moves', async () => {
    const { view, output } = await setup(true);
    await waitFor(() => (output().match(/endpoint +name/g) ?? []).length >= 2, { timeoutMs: 10_000, what: 'two redraws' });
    view.log('>> an event');
    view.stop();
    const out = output();
    expect(out).toMatch(/\x1b\[\d+F\x1b\[J/);
    expect(out).toContain('127.0.0.1:9001');
    expect(out).toContain('ready, slow');
    expect(out).toMatch(/127\.0\.0\.1:9001 .* 100% +2 +3\.0/);
    expect(out).toContain('>> an event');
  });

  it('prints plain lines without escapes when not on a TTY', async () => {
    const { view, output } = await setup(false);
    view.log('>> an event');
    view.stop();
    const out = output();
    expect(out).not.toContain('\x1b[');
    expect(out).toContain('>> an event\n');
    expect(out).toMatch(/sent 0 failed 0 retried 0 \| 127\.0\.0\.1:9001 100% ready, slow \| 127\.0\.0\.1:9002 0% ready/);
  });
});
