import path from 'node:path';
import { createRegistryServer, type RegistryServer } from '@wayfinder/adapters';
import type { Resolver } from '@wayfinder/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManagedProcess, startProcess, waitFor } from '../harness/processes.js';
import { ROOT, until, watcher } from './helpers.js';

let server: RegistryServer | undefined;
const resolvers: Resolver[] = [];
const processes: ManagedProcess[] = [];

afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop({ signal: 'SIGKILL' })));
  await Promise.all(resolvers.splice(0).map((r) => r.close()));
  await server?.close();
});

describe('register({ handleSignals: true })', () => {
  it('on SIGTERM marks the endpoint terminating, drains, deregisters, then exits by the signal', async () => {
    server = createRegistryServer({ port: 0, heartbeatIntervalMs: 200 });
    await server.listen();
    const r = watcher(`registry+http://127.0.0.1:${server.port}/signalled`, resolvers);
    const child = startProcess(
      process.execPath,
      ['--conditions=@wayfinder/source', '--import', 'tsx', path.join(import.meta.dirname, 'fixtures/self-register.ts'), server.url, '9100'],
      { name: 'self-register', cwd: ROOT },
    );
    processes.push(child);
    await until(r, (s) => s.endpoints.size === 1 && !s.endpoints.endpoints[0]!.terminating, 'registered', 30_000);
    await waitFor(() => child.output().includes('registered'), { what: 'the registered event' });
    child.child.kill('SIGTERM');
    await until(r, (s) => s.endpoints.endpoints[0]?.terminating === true, 'terminating');
    await until(r, (s) => s.endpoints.size === 0, 'deregistered');
    await child.exited;
    expect(child.child.signalCode).toBe('SIGTERM');
    expect(child.output()).toMatch(/terminating[\s\S]*deregistered/);
  });
});
