import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Starts a test server process and records its PID under `.services/pids/`, so
 * `scripts/test-all.sh` can stop exactly these processes even if a test run dies. Never kill
 * by name.
 */
export const PID_DIR = path.resolve(import.meta.dirname, '../../.services/pids');

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Output so far (stdout and stderr), for error messages. */
  output(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit; SIGKILL after `graceMs`. */
  stop(options?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function startProcess(command: string, args: string[], options: SpawnOptions & { name: string }): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  mkdirSync(PID_DIR, { recursive: true });
  const pidFile = path.join(PID_DIR, `${options.name}-${pid}.pid`);
  writeFileSync(pidFile, String(pid));
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      rmSync(pidFile, { force: true });
      resolve(code);
    });
  });
  return {
    child,
    pid,
    output: () => out,
    exited,
    async stop({ signal = 'SIGTERM', graceMs = 3000 } = {}) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` until it resolves true or `timeoutMs` passes (bounded; for server readiness). */
export async function waitFor(check: () => Promise<boolean> | boolean, { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
