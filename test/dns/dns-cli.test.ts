import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';
import type { CliIO } from '../../packages/cli/src/io.js';
import { bindBinaries, type BindServer, startBind } from '../harness/bind.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'packages/cli/src/bin.ts');
const BIND = bindBinaries();
const SERVICE = '_http._tcp.planner.svc.test';

/** An in-process CLI run: captured output, exit code. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    signal: new AbortController().signal,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe.skipIf(BIND === undefined)('wayfinder CLI with DNS targets (BIND 9)', () => {
  let bind: BindServer;
  beforeAll(async () => {
    bind = await startBind({ records: ['a IN A 10.0.0.1', 'b IN A 10.0.0.2', `_http._tcp.planner 1 IN SRV 10 50 8080 a`] });
  });
  afterAll(async () => {
    await bind?.close();
  });

  it('`wayfinder watch dns-srv://… --json` prints a new snapshot after an nsupdate change', async () => {
    const lines: string[] = [];
    const child = spawn(
      process.execPath,
      ['--conditions=@wayfinder/source', '--import', 'tsx', BIN, 'watch', `dns-srv://${bind.server}/${SERVICE}`, '--json', '--count', '2'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let partial = '';
    let updated: Promise<void> | undefined;
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        lines.push(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
        if (lines.length === 1) updated = bind.update(`update add ${SERVICE}. 1 SRV 20 10 9090 b.svc.test.`);
      }
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`watch did not print two snapshots; stdout: ${lines.join('\n')}; stderr: ${stderr}`));
      }, 45_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    await updated;
    expect(code).toBe(0);
    const [first, second] = lines.map((l) => JSON.parse(l) as { stale: boolean; endpoints: { id: string; priority: number; weight: number; hostname: string }[] });
    expect(first!.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:8080']);
    expect(second!.stale).toBe(false);
    expect(second!.endpoints.map((e) => [e.id, e.priority, e.weight, e.hostname])).toEqual([
      ['10.0.0.1:8080', 10, 50, 'a.svc.test'],
      ['10.0.0.2:9090', 20, 10, 'b.svc.test'],
    ]);
  });

  it('`wayfinder resolve` prints an empty snapshot for NXDOMAIN and exits 0', async () => {
    const run = await runCli(['resolve', `dns-srv://${bind.server}/_http._tcp.nobody.svc.test`, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ stale: false, endpoints: [] });
  });

  it('`wayfinder resolve` exits 1 naming REFUSED when the server refuses the zone', async () => {
    const run = await runCli(['resolve', `dns-srv://${bind.server}/_http._tcp.refused.test`, '--timeout-ms', '3000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('REFUSED');
  });

  it('`wayfinder resolve` exits 2 for a malformed DNS target', async () => {
    const run = await runCli(['resolve', 'dns-srv:///planner.svc.test']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not an SRV name');
  });
});
