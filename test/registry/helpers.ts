import path from 'node:path';
import { adapterSchemes } from '@wayfinder/adapters';
import { coreSchemes, createResolver, type Resolver, type ResolverOptions, type ResolverState } from '@wayfinder/core';
import { startProcess, waitFor, type ManagedProcess } from '../harness/processes.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const schemes = { ...coreSchemes, ...adapterSchemes };

/** A resolver with short backoff, closed by `closeAll`. */
export function watcher(target: string, opened: Resolver[], extra: Partial<ResolverOptions> = {}): Resolver {
  const r = createResolver({ target, schemes, backoff: { initialMs: 50, maxMs: 300 }, ...extra });
  opened.push(r);
  return r;
}

/** Waits (bounded) until the resolver's published state satisfies `check`. */
export async function until(r: Resolver, check: (s: ResolverState) => boolean, what = 'resolver state', timeoutMs = 15_000): Promise<ResolverState> {
  await waitFor(() => r.current !== undefined && check(r.current), { timeoutMs, what: `${what} (last: ${describeState(r.current)})` });
  return r.current!;
}

export function ids(s: ResolverState): string[] {
  return s.endpoints.endpoints.map((e) => e.id).sort();
}

function describeState(s: ResolverState | undefined): string {
  return s ? `${s.endpoints.revision} [${ids(s).join(', ')}]${s.stale ? ' stale' : ''}` : 'none';
}

/** Runs `wayfinder <args>` as a child process from the sources (PID recorded for cleanup). */
export function runCli(args: string[], name: string, env: Record<string, string> = {}): ManagedProcess {
  return startProcess(process.execPath, ['--conditions=@wayfinder/source', '--import', 'tsx', path.join(ROOT, 'packages/cli/src/bin.ts'), ...args], {
    name,
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

/** Starts `wayfinder registry` on `port` and waits until it answers. */
export async function startRegistryProcess(port: number, heartbeatMs = 200): Promise<ManagedProcess> {
  const proc = runCli(['registry', '--host', '127.0.0.1', '--port', String(port), '--heartbeat-ms', String(heartbeatMs)], 'wayfinder-registry');
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/v1/services/probe`)).ok, { timeoutMs: 30_000, what: `wayfinder registry on ${port}: ${proc.output()}` });
  return proc;
}
