import { main } from '../../packages/cli/src/main.js';
import type { CliIO } from '../../packages/cli/src/io.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_BINARY, type EtcdServer, startEtcd } from '../harness/etcd.js';
import { waitFor } from '../harness/processes.js';

/** A CliIO that collects stdout lines and can be aborted (SIGINT in the real binary). */
function fakeIO() {
  const controller = new AbortController();
  let out = '';
  let err = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: {},
    signal: controller.signal,
  };
  return {
    io,
    lines: () => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { revision: string; stale: boolean; endpoints: { id: string; address: string; port: number; ready: boolean; terminating: boolean }[] }),
    stderr: () => err,
    abort: () => controller.abort(),
  };
}

describe.skipIf(ETCD_BINARY === undefined)('wayfinder watch etcd://', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('prints every change as one JSON snapshot per line: put, update, delete, lease expiry, restart', async () => {
    const prefix = 'services/planner/';
    await etcd.put(`${prefix}a`, { address: '10.0.0.1', port: 80 });
    const target = `etcd://${etcd.hostPort}/${prefix}`;
    const cli = fakeIO();
    const running = main(['watch', target, '--json', '--timeout-ms', '20000'], cli.io);
    const count = (n: number) => waitFor(() => cli.lines().length >= n, { timeoutMs: 20_000, what: `${n} snapshots; stderr: ${cli.stderr()}` });
    const last = () => cli.lines().at(-1)!;
    try {
      await count(1);
      expect(cli.lines()[0]).toMatchObject({ target, stale: false, endpoints: [{ id: `${prefix}a`, address: '10.0.0.1', port: 80, ready: true }] });
      const putRevision = await etcd.put(`${prefix}b`, { Op: 0, Addr: '10.0.0.2:81' });
      await count(2);
      expect(last().revision).toBe(putRevision);
      expect(last().endpoints.map((e) => e.id)).toEqual([`${prefix}a`, `${prefix}b`]);
      await etcd.put(`${prefix}a`, { address: '10.0.0.1', port: 80, terminating: true });
      await count(3);
      expect(last().endpoints[0]).toMatchObject({ id: `${prefix}a`, terminating: true, ready: false });
      await etcd.del(`${prefix}a`);
      await count(4);
      expect(last().endpoints.map((e) => e.id)).toEqual([`${prefix}b`]);
      const lease = await etcd.grantLease(1);
      await etcd.put(`${prefix}c`, { address: '10.0.0.3', port: 82 }, { lease });
      await count(5);
      expect(last().endpoints.map((e) => e.id)).toEqual([`${prefix}b`, `${prefix}c`]);
      await count(6); // the lease expires
      expect(last().endpoints.map((e) => e.id)).toEqual([`${prefix}b`]);
      await etcd.kill();
      await count(7);
      expect(last()).toMatchObject({ stale: true, endpoints: [{ id: `${prefix}b` }] });
      await etcd.restart();
      await count(8);
      expect(last()).toMatchObject({ stale: false, endpoints: [{ id: `${prefix}b` }] });
    } finally {
      cli.abort();
    }
    expect(await running).toBe(0);
  });

  it('exits 2 naming the problem for an etcd target without a key prefix', async () => {
    const cli = fakeIO();
    expect(await main(['watch', `etcd://${etcd.hostPort}`, '--json'], cli.io)).toBe(2);
    expect(cli.stderr()).toContain('missing key prefix');
  });
});
