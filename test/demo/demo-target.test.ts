import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRegistryServer, register, type Registration } from '@wayfinder/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from './run-demo.js';

describe('pnpm demo -- --target (client half against a running registry)', () => {
  const registry = createRegistryServer({ host: '127.0.0.1', port: 0 });
  const servers: http.Server[] = [];
  const registrations: Registration[] = [];
  const hits = new Map<string, number>();

  beforeAll(async () => {
    await registry.listen();
    for (const name of ['x', 'y']) {
      const server = http.createServer((req, res) => {
        hits.set(name, (hits.get(name) ?? 0) + 1);
        res.end(JSON.stringify({ name, url: req.url }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      const port = (server.address() as AddressInfo).port;
      const registration = register({ registry: registry.url, service: 'echo', endpoint: { address: '127.0.0.1', port, metadata: { name } }, ttlSeconds: 10 });
      await registration.ready({ timeoutMs: 10_000 });
      registrations.push(registration);
    }
  });

  afterAll(async () => {
    await Promise.all(registrations.map((r) => r.close({ drainMs: 0 })));
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await registry.close();
  });

  it('sends its stream through the target to every endpoint and exits 0 with a summary', async () => {
    const target = `registry+${registry.url}/echo`;
    // As `pnpm demo -- --target …` passes it: pnpm keeps the `--`.
    const run = await runDemo(['--', '--target', target, '--path', '/hello', '--duration-ms', '4000', '--json']);
    expect(run.code, run.output).toBe(0);
    const s = run.summary!;
    expect(s.mode).toBe('target');
    expect(s.target).toBe(target);
    expect(s.failed, s.failures.join('; ')).toBe(0);
    expect(s.sent).toBeGreaterThan(0);
    expect(s.events).toEqual([]);
    expect(Object.keys(s.shares).sort()).toEqual(['x', 'y']);
    expect((hits.get('x') ?? 0) + (hits.get('y') ?? 0)).toBe(s.succeeded);
  });

  it('exits 1 naming the target when it cannot be resolved', async () => {
    const run = await runDemo(['--target', 'registry+http://127.0.0.1:1/none', '--duration-ms', '4000']);
    expect(run.code).toBe(1);
    expect(run.output).toContain('registry+http://127.0.0.1:1/none');
  });
});
