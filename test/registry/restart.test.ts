import { register, type Registration, type RegistrationEvent } from '@wayfinder/adapters';
import type { Resolver } from '@wayfinder/core';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { type ManagedProcess, waitFor } from '../harness/processes.js';
import { ids, runCli, startRegistryProcess, until, watcher } from './helpers.js';

const processes: ManagedProcess[] = [];
const resolvers: Resolver[] = [];
const registrations: Registration[] = [];

afterEach(async () => {
  await Promise.all(registrations.splice(0).map((r) => r.close({ drainMs: 0 })));
  await Promise.all(resolvers.splice(0).map((r) => r.close()));
  await Promise.all(processes.splice(0).map((p) => p.stop({ signal: 'SIGKILL' })));
});

describe('a killed and restarted dev registry (wayfinder registry as a child process)', () => {
  it('is survived by the watcher (keeps its set, reconnects) and the registrants (re-register)', async () => {
    const port = await freePort();
    const first = await startRegistryProcess(port);
    processes.push(first);
    const url = `http://127.0.0.1:${port}`;
    const r = watcher(`registry+http://127.0.0.1:${port}/planner`, resolvers);
    await r.ready({ timeoutMs: 20_000 });

    const events: RegistrationEvent[] = [];
    const inProcess = register({ registry: url, service: 'planner', endpoint: { address: '127.0.0.1', port: 9000 }, ttlSeconds: 2 });
    registrations.push(inProcess);
    inProcess.subscribe((e) => events.push(e));
    // `wayfinder register` accepts registry+http:// as well as http://.
    const cli = runCli(['register', `registry+http://127.0.0.1:${port}`, '--service', 'planner', '--address', '127.0.0.1', '--port', '9001', '--ttl', '2', '--drain-ms', '300'], 'wayfinder-register');
    processes.push(cli);
    const before = await until(r, (s) => s.endpoints.size === 2, 'both registered', 30_000);
    expect(ids(before)).toEqual(['127.0.0.1:9000', '127.0.0.1:9001']);

    const seen: number[] = [];
    const off = r.subscribe((s) => seen.push(s.endpoints.size));
    await first.stop({ signal: 'SIGKILL' });
    const stale = await until(r, (s) => s.stale, 'stale while the registry is down');
    expect(ids(stale)).toEqual(['127.0.0.1:9000', '127.0.0.1:9001']);
    await waitFor(() => inProcess.state === 'retrying', { what: 'the registrant noticing' });

    const second = await startRegistryProcess(port);
    processes.push(second);
    const after = await until(r, (s) => !s.stale && s.endpoints.size === 2, 'reconnected with both re-registered', 30_000);
    // The restart grace (protocol §2.3) kept the watcher off the restarted registry until the
    // registrants were back: it never saw an empty or partial set.
    off();
    expect(seen.every((size) => size === 2)).toBe(true);
    expect(after.lastSyncAt).toBeGreaterThan(before.lastSyncAt!);
    expect(events.filter((e) => e.type === 'registered' && e.created)).toHaveLength(2); // first time, and after the restart
    expect(inProcess.state).toBe('registered');

    // SIGTERM on `wayfinder register`: terminating, drain, deregister.
    cli.child.kill('SIGTERM');
    await until(r, (s) => s.endpoints.endpoints.some((e) => e.port === 9001 && e.terminating), 'CLI registrant draining');
    await until(r, (s) => ids(s).join() === '127.0.0.1:9000', 'CLI registrant deregistered');
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toMatch(/registered 127\.0\.0\.1:9001 in planner[\s\S]*terminating[\s\S]*deregistered/);
  });
});
