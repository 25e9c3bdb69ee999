import { describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import type { CliIO } from '../../packages/cli/src/io.js';

function fakeIO(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: { write: (t: string) => (io.out += t) },
    stderr: { write: (t: string) => (io.err += t) },
    env: {},
    signal: new AbortController().signal,
  };
  return io;
}

const TARGET = 'static://127.0.0.1:8081,127.0.0.1:8080,127.0.0.1:8082';

describe('wayfinder pick', () => {
  it('prints N round-robin picks, one address per line', async () => {
    const io = fakeIO();
    expect(await main(['pick', TARGET, '-n', '4'], io)).toBe(0);
    expect(io.out.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual([
      '127.0.0.1:8080',
      '127.0.0.1:8081',
      '127.0.0.1:8082',
      '127.0.0.1:8080',
    ]);
  });

  it('prints each pick as the endpoint object in the snapshot shape with --json', async () => {
    const io = fakeIO();
    expect(await main(['pick', TARGET, '--balancer', 'random', '-n', '3', '--json'], io)).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const e of lines) {
      expect(Object.keys(e)).toEqual(['id', 'address', 'port', 'hostname', 'weight', 'priority', 'zone', 'node', 'ready', 'serving', 'terminating']);
      expect(e.address).toBe('127.0.0.1');
    }
  });

  it('sends the same --key to the same endpoint with consistent-hash, maglev and sticky', async () => {
    for (const balancer of ['consistent-hash', 'maglev', 'sticky']) {
      const io = fakeIO();
      expect(await main(['pick', TARGET, '--balancer', balancer, '--key', 'tenant-7', '-n', '5'], io)).toBe(0);
      expect(new Set(io.out.trim().split('\n')).size).toBe(1);
    }
  });

  it('rejects an unknown balancer with a usage error (exit 2)', async () => {
    const io = fakeIO();
    expect(await main(['pick', TARGET, '--balancer', 'fastest'], io)).toBe(2);
    expect(io.err).toMatch(/--balancer must be one of random, round-robin/);
  });

  it('rejects a missing target with a usage error', async () => {
    const io = fakeIO();
    expect(await main(['pick'], io)).toBe(2);
    expect(io.err).toMatch(/missing <target>/);
  });
});
