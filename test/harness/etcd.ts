import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findBinary } from './binaries.js';
import { freePort } from './ports.js';
import { type ManagedProcess, startProcess, waitFor } from './processes.js';

/** The etcd binary, or undefined on a developer machine without it (throws under CI). */
export const ETCD_BINARY = findBinary('etcd');

/**
 * One etcd 3.4 member on free 127.0.0.1 ports, in a temporary data directory, with fast election
 * settings (ready in about 0.14 s). `kill()` (SIGKILL) and `restart()` keep the ports and the
 * data, as a crashed and restarted server would. Helpers speak the v3 JSON gateway.
 */
export interface EtcdServer {
  readonly clientPort: number;
  /** `http://127.0.0.1:<clientPort>`. */
  readonly url: string;
  /** `127.0.0.1:<clientPort>`, for `etcd://` targets. */
  readonly hostPort: string;
  readonly dataDir: string;
  readonly running: boolean;
  /** POSTs to the gateway and returns the JSON answer (throws on a non-2xx status). */
  gateway(apiPath: string, body: unknown): Promise<Record<string, unknown>>;
  put(key: string, value: string | object, options?: { lease?: string }): Promise<string>;
  del(key: string): Promise<string>;
  /** Grants a lease; returns its id (a string: ids exceed 2^53). */
  grantLease(ttlSeconds: number): Promise<string>;
  revokeLease(id: string): Promise<void>;
  /** Compacts the history up to `revision` (default: the current revision). */
  compact(revision?: string): Promise<string>;
  revision(): Promise<string>;
  /** Values under `prefix`, decoded, keyed by key. */
  getPrefix(prefix: string): Promise<Map<string, { value: string; lease?: string }>>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  /** `--experimental-watch-progress-notify-interval` (e.g. `'1s'`). */
  progressNotifyInterval?: string;
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdServer> {
  const binary = ETCD_BINARY;
  if (!binary) throw new Error('etcd is not installed');
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wayfinder-etcd-'));
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 't',
    '--data-dir', path.join(dataDir, 'data'),
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `t=${peer}`,
    '--initial-cluster-state', 'new',
    '--heartbeat-interval', '10',
    '--election-timeout', '100',
    ...(options.progressNotifyInterval ? ['--experimental-watch-progress-notify-interval', options.progressNotifyInterval] : []),
  ];
  let process_: ManagedProcess | undefined;

  const healthy = async () => {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return false;
    const body = (await response.json()) as { health?: string };
    return body.health === 'true';
  };
  const launch = async () => {
    const started = startProcess(binary, args, { name: 'etcd', cwd: dataDir });
    process_ = started;
    try {
      await waitFor(async () => started.child.exitCode === null && (await healthy()), { timeoutMs: 20_000, what: `etcd on ${url}` });
    } catch (error) {
      await started.stop({ signal: 'SIGKILL' });
      throw new Error(`etcd did not become healthy: ${(error as Error).message}\n${started.output().slice(-2000)}`);
    }
  };

  const gateway = async (apiPath: string, body: unknown) => {
    const response = await fetch(`${url}${apiPath}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${apiPath} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const headerRevision = (json: Record<string, unknown>) => String((json.header as { revision?: string } | undefined)?.revision ?? '0');

  await launch();
  return {
    clientPort,
    url,
    hostPort: `127.0.0.1:${clientPort}`,
    dataDir,
    get running() {
      return process_ !== undefined && process_.child.exitCode === null && process_.child.signalCode === null;
    },
    gateway,
    async put(key, value, putOptions = {}) {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      return headerRevision(await gateway('/v3/kv/put', { key: b64(key), value: b64(text), ...(putOptions.lease ? { lease: putOptions.lease } : {}) }));
    },
    async del(key) {
      return headerRevision(await gateway('/v3/kv/deleterange', { key: b64(key) }));
    },
    async grantLease(ttlSeconds) {
      const json = await gateway('/v3/lease/grant', { TTL: String(ttlSeconds) });
      return String(json.ID);
    },
    async revokeLease(id) {
      await gateway('/v3/lease/revoke', { ID: id });
    },
    async compact(revision) {
      const at = revision ?? headerRevision(await gateway('/v3/kv/range', { key: b64('\0') }));
      await gateway('/v3/kv/compaction', { revision: at, physical: true });
      return at;
    },
    async revision() {
      return headerRevision(await gateway('/v3/kv/range', { key: b64('\0') }));
    },
    async getPrefix(prefix) {
      const end = Buffer.from(prefix);
      end[end.length - 1] = end[end.length - 1]! + 1;
      const json = await gateway('/v3/kv/range', { key: b64(prefix), range_end: end.toString('base64') });
      const map = new Map<string, { value: string; lease?: string }>();
      for (const kv of (json.kvs as { key: string; value?: string; lease?: string }[] | undefined) ?? []) {
        map.set(Buffer.from(kv.key, 'base64').toString(), { value: Buffer.from(kv.value ?? '', 'base64').toString(), ...(kv.lease ? { lease: kv.lease } : {}) });
      }
      return map;
    },
    async kill() {
      await process_?.stop({ signal: 'SIGKILL' });
    },
    async restart() {
      await process_?.stop();
      await launch();
    },
    async stop() {
      await process_?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
