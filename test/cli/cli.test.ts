import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runWayfinder } from '../harness/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wf-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const wayfinder = runWayfinder;

describe('wayfinder resolve', () => {
  it('prints the snapshot of a static target in the stable JSON shape and exits 0', async () => {
    const run = await wayfinder(['resolve', 'static://127.0.0.1:8081,127.0.0.10:80,127.0.0.1:8080', '--json']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const endpoint = (port: number, address = '127.0.0.1') =>
      `{"id":"${address}:${port}","address":"${address}","port":${port},"hostname":null,"weight":1,"priority":0,"zone":null,"node":null,"ready":true,"serving":true,"terminating":false}`;
    expect(lines[0]).toBe(
      `{"target":"static://127.0.0.1:8081,127.0.0.10:80,127.0.0.1:8080","revision":"1","stale":false,"endpoints":[${endpoint(8080)},${endpoint(8081)},${endpoint(80, '127.0.0.10')}]}`,
    );
  });

  it('prints a readable table without --json', async () => {
    const run = await wayfinder(['resolve', 'static://127.0.0.1:8080']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ADDRESS');
    expect(run.stdout).toMatch(/127\.0\.0\.1\s+8080/);
  });

  it.each([
    [['resolve'], 'missing <target>'],
    [['resolve', 'static://127.0.0.1'], 'missing port'],
    [['resolve', 'nope://x'], 'unsupported scheme "nope"'],
    [['resolve', 'static://127.0.0.1:1', '--timeout-ms', 'soon'], '--timeout-ms must be a non-negative integer'],
    [['resolve', 'static://127.0.0.1:1', '--bogus'], "Unknown option '--bogus'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('exits 2 with a one-line message for %j', async (args, message) => {
    const run = await wayfinder(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 1 naming the target and the last error when it cannot resolve in time', async () => {
    const target = `file://${dir}/missing.json`;
    const run = await wayfinder(['resolve', target, '--timeout-ms', '1500']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(target);
    expect(run.stderr).toContain('no endpoints resolved within 1500 ms');
    expect(run.stderr).toContain('cannot read');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 for an invalid file, naming the field', async () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '[{"address":"127.0.0.1","port":0}]');
    const run = await wayfinder(['resolve', `file://${file}`, '--timeout-ms', '1500']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('endpoints[0].port');
  });
});

describe('wayfinder watch', () => {
  it('prints one snapshot per change of a file until --count snapshots were printed', async () => {
    const file = path.join(dir, 'watch.json');
    const write = (ports: number[]) => writeFileSync(file, JSON.stringify({ endpoints: ports.map((port) => ({ address: '127.0.0.1', port })) }));
    write([8080]);
    const run = await wayfinder(['watch', `file://${file}`, '--json', '--count', '3'], {
      onLine: (_line, n) => {
        if (n === 0) write([8080, 8081]);
        if (n === 1) write([8081]);
      },
    });
    expect(run.code).toBe(0);
    const snapshots = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { endpoints: { port: number }[]; stale: boolean });
    expect(snapshots.map((s) => s.endpoints.map((e) => e.port))).toEqual([[8080], [8080, 8081], [8081]]);
    expect(snapshots.every((s) => s.stale === false)).toBe(true);
  });

  it('prints a snapshot when only stale changes (an invalid edit), then the recovery', async () => {
    const file = path.join(dir, 'stale.json');
    writeFileSync(file, JSON.stringify([{ address: '127.0.0.1', port: 8080 }]));
    const run = await wayfinder(['watch', `file://${file}`, '--json', '--count', '3'], {
      onLine: (_line, n) => {
        if (n === 0) writeFileSync(file, '{ not json');
        if (n === 1) writeFileSync(file, JSON.stringify([{ address: '127.0.0.1', port: 8081 }]));
      },
    });
    expect(run.code).toBe(0);
    const snapshots = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { endpoints: { port: number }[]; stale: boolean });
    expect(snapshots.map((s) => [s.stale, s.endpoints.map((e) => e.port)])).toEqual([
      [false, [8080]],
      [true, [8080]],
      [false, [8081]],
    ]);
  });
});

describe('wayfinder watch, interrupted', () => {
  it('stops on SIGINT and exits 0', async () => {
    const child = spawn(process.execPath, ['--conditions=@wayfinder/source', '--import', 'tsx', BIN, 'watch', 'static://127.0.0.1:1', '--json'], { cwd: ROOT });
    let out = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => ((out += c), resolve())));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(JSON.parse(out.trim()).endpoints).toHaveLength(1);
  });
});
