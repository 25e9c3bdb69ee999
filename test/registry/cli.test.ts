import { createRegistryServer, type RegistryServer } from '@wayfinder/adapters';
import { type CliIO, main } from '@wayfinder/cli';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { waitFor } from '../harness/processes.js';

let server: RegistryServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function io(env: Record<string, string> = {}): CliIO & { out: () => string; err: () => string; abort: () => void } {
  let out = '';
  let err = '';
  const controller = new AbortController();
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env,
    signal: controller.signal,
    out: () => out,
    err: () => err,
    abort: () => controller.abort(),
  };
}

async function start(): Promise<RegistryServer> {
  server = createRegistryServer({ port: 0, heartbeatIntervalMs: 200 });
  await server.listen();
  return server;
}

describe('wayfinder watch registry+http://…', () => {
  it('prints a snapshot per registration, termination and deregistration', async () => {
    const s = await start();
    const cli = io();
    const running = main(['watch', `registry+http://127.0.0.1:${s.port}/planner`, '--json', '--count', '4'], cli);
    await waitFor(() => cli.out().split('\n').filter(Boolean).length === 1, { what: 'the first snapshot' });
    s.store.put('planner', 'a', { address: '10.0.0.1', port: 80 }, 30);
    await waitFor(() => cli.out().split('\n').filter(Boolean).length === 2, { what: 'registration' });
    s.store.put('planner', 'a', { address: '10.0.0.1', port: 80, terminating: true }, 30);
    await waitFor(() => cli.out().split('\n').filter(Boolean).length === 3, { what: 'termination' });
    s.store.delete('planner', 'a');
    expect(await running).toBe(0);
    const lines = cli.out().trim().split('\n').map((l) => JSON.parse(l) as { endpoints: { terminating: boolean }[] });
    expect(lines.map((l) => l.endpoints.length)).toEqual([0, 1, 1, 0]);
    expect(lines[2]!.endpoints[0]!.terminating).toBe(true);
  });
});

describe('wayfinder register', () => {
  it('registers until interrupted, then drains and deregisters', async () => {
    const s = await start();
    const cli = io();
    const running = main(['register', s.url, '--service', 'planner', '--address', '127.0.0.1', '--port', '8080', '--ttl', '5', '--drain-ms', '50', '--zone', 'z1'], cli);
    await waitFor(() => s.store.snapshot('planner').endpoints.length === 1, { what: 'registered' });
    expect(s.store.snapshot('planner').endpoints[0]).toMatchObject({ id: '127.0.0.1:8080', zone: 'z1' });
    cli.abort();
    expect(await running).toBe(0);
    expect(s.store.snapshot('planner').endpoints).toEqual([]);
    expect(cli.out()).toMatch(/registered 127\.0\.0\.1:8080 in planner\n[\s\S]*terminating[\s\S]*deregistered/);
  });

  it('answers usage errors with exit code 2', async () => {
    const cli = io();
    expect(await main(['register', 'http://127.0.0.1:1', '--address', '127.0.0.1', '--port', '80'], cli)).toBe(2);
    expect(cli.err()).toMatch(/missing --service/);
    expect(await main(['register', 'ftp://x', '--service', 's', '--address', 'a', '--port', '80'], io())).toBe(2);
  });
});

describe('wayfinder registry', () => {
  it('serves the protocol until interrupted', async () => {
    const port = await freePort();
    const cli = io();
    const running = main(['registry', '--port', String(port)], cli);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/v1/services/x`)).status === 200, { what: 'the registry' });
    expect(cli.out()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(epoch [a-z0-9]+\)/);
    cli.abort();
    expect(await running).toBe(0);
  });
});
