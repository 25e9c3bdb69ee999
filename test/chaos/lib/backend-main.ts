/**
 * A chaos backend: a node:http server on 127.0.0.1 (any free port) that registers itself with
 * `register()` (dev registry or etcd) and prints `ready <port>` once registered.
 *
 * `GET /work?ms=N&seq=S` answers 200 after N ms with the backend id (header `x-backend` too).
 * SIGTERM drains: the registration goes terminating, waits `drainMs`, deregisters; then the
 * server stops accepting, lets in-flight requests finish, and the process exits 0.
 * With `logRequests`, each request prints `A <seq>` on arrival and `D <seq>` when answered.
 *
 * Configuration: JSON in the environment variable `WAYFINDER_CHAOS_BACKEND`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from '@wayfinder/adapters';

interface BackendConfig {
  registry?: string;
  etcd?: string;
  prefix?: string;
  service: string;
  ttlSeconds: number;
  drainMs: number;
  logRequests?: boolean;
}

const config = JSON.parse(process.env.WAYFINDER_CHAOS_BACKEND ?? '{}') as BackendConfig;
let id = '';

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://backend');
  const seq = url.searchParams.get('seq') ?? '-';
  const ms = Math.min(30_000, Math.max(0, Number(url.searchParams.get('ms') ?? 0) || 0));
  if (config.logRequests) process.stdout.write(`A ${seq}\n`);
  const answer = () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-backend': id });
    res.end(JSON.stringify({ backend: id, seq }));
    if (config.logRequests) process.stdout.write(`D ${seq}\n`);
  };
  if (ms === 0) answer();
  else setTimeout(answer, ms);
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  id = `127.0.0.1:${port}`;
  const endpoint = { address: '127.0.0.1', port };
  const registration = config.etcd
    ? register({ etcd: config.etcd, prefix: config.prefix ?? 'services/chaos/', endpoint, ttlSeconds: config.ttlSeconds, drainMs: config.drainMs })
    : register({ registry: config.registry!, service: config.service, endpoint, ttlSeconds: config.ttlSeconds, drainMs: config.drainMs });
  registration
    .ready({ timeoutMs: 30_000 })
    .then(() => process.stdout.write(`registered-at ${Date.now()}\nready ${port}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`registration failed: ${String(error)}\n`);
      process.exit(1);
    });
  process.once('SIGTERM', () => {
    process.stdout.write('term\n');
    void registration.close().then(() => {
      process.stdout.write('deregistered\n');
      server.close(() => process.exit(0));
      server.closeIdleConnections();
    });
  });
});
