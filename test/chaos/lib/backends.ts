import path from 'node:path';
import { type ManagedProcess, startProcess, waitFor } from '../../harness/processes.js';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
const BACKEND_MAIN = path.join(import.meta.dirname, 'backend-main.ts');

export interface BackendOptions {
  /** Dev registry base URL (`http://127.0.0.1:port`), or use `etcd` + `prefix`. */
  registry?: string;
  etcd?: string;
  prefix?: string;
  service?: string;
  ttlSeconds?: number;
  drainMs?: number;
  logRequests?: boolean;
}

/** A backend child process (see backend-main.ts), registered once `ready` resolved. */
export interface Backend {
  readonly proc: ManagedProcess;
  /** `127.0.0.1:<port>`, its endpoint id. Empty until ready. */
  id: string;
  port: number;
  /** Wall-clock ms (`Date.now()` in the backend) when its registration succeeded. */
  registeredAt: number;
  /** Resolves when registered (prints `ready <port>`); rejects if it exits first or after 60 s. */
  readonly ready: Promise<Backend>;
  readonly alive: boolean;
  kill(): Promise<void>;
  /** SIGTERM: drain and exit; resolves on exit. */
  terminate(): Promise<void>;
}

/** Starts a backend; its PID is recorded for `scripts/test-all.sh` cleanup. */
export function startBackend(options: BackendOptions): Backend {
  const config = { service: 'chaos', ttlSeconds: 2, drainMs: 500, ...options };
  const proc = startProcess(process.execPath, ['--conditions=@wayfinder/source', '--import', 'tsx', BACKEND_MAIN], {
    name: 'chaos-backend',
    cwd: ROOT,
    env: { ...process.env, WAYFINDER_CHAOS_BACKEND: JSON.stringify(config) },
  });
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const base = {
    proc,
    id: '',
    port: 0,
    registeredAt: 0,
    get alive() {
      return !exited;
    },
    kill: () => proc.stop({ signal: 'SIGKILL' }),
    async terminate() {
      await proc.stop({ signal: 'SIGTERM', graceMs: 30_000 });
    },
  };
  const self: { backend?: Backend } = {};
  const ready = (async (): Promise<Backend> => {
    await waitFor(
      () => {
        if (exited) throw new Error('exited');
        return /^ready \d+$/m.test(proc.output());
      },
      { timeoutMs: 60_000, intervalMs: 20, what: 'backend registration' },
    ).catch((error: unknown) => {
      throw new Error(`backend did not become ready (${String(error)}): ${proc.output().slice(-1000)}`);
    });
    base.port = Number(/^ready (\d+)$/m.exec(proc.output())![1]);
    base.id = `127.0.0.1:${base.port}`;
    base.registeredAt = Number(/^registered-at (\d+)$/m.exec(proc.output())?.[1] ?? 0);
    return self.backend!;
  })();
  const backend: Backend = Object.assign(base, { ready });
  self.backend = backend;
  backend.ready.catch(() => {});
  return backend;
}
