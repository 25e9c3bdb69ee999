import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findBinary } from './binaries.js';
import { freePort } from './ports.js';
import { type ManagedProcess, startProcess, waitFor } from './processes.js';

const run = promisify(execFile);

/** The authoritative test zone; dynamic updates are allowed with the TSIG key. */
export const BIND_ZONE = 'svc.test';
/** A zone the server refuses to answer (`allow-query { none; }`): REFUSED. */
export const BIND_REFUSED_ZONE = 'refused.test';
/** A zone configured but never loaded (its file is broken): SERVFAIL. */
export const BIND_BROKEN_ZONE = 'broken.test';

export interface BindServer {
  readonly port: number;
  readonly dir: string;
  /** `127.0.0.1:<port>`, the authority of a target. */
  readonly server: string;
  /** Runs `nsupdate` with the given update lines (`update add …`, `update delete …`), then `send`. */
  update(...lines: string[]): Promise<void>;
  /** Asks the server with `dig` (for debugging a test). */
  dig(name: string, type: string): Promise<string>;
  stop(): Promise<void>;
  /**
   * Starts the same server again on the same port (zone data kept in its journal); with
   * `refuseZone`, it answers REFUSED for {@link BIND_ZONE} until restarted without it.
   */
  restart(options?: { refuseZone?: boolean }): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export interface BindOptions {
  /** Extra zone-file lines for `svc.test` (relative names are in the zone; `$TTL` is 2). */
  records?: string[];
  /** `minimal-responses yes`: no additional section, so clients must look addresses up. */
  minimalResponses?: boolean;
}

/** The binaries the DNS integration tests need; undefined (skip locally) or a throw under CI when missing. */
export function bindBinaries(): { named: string; nsupdate: string; tsigKeygen: string; dig: string } | undefined {
  const named = findBinary('named');
  const nsupdate = findBinary('nsupdate');
  const tsigKeygen = findBinary('tsig-keygen');
  const dig = findBinary('dig');
  if (!named || !nsupdate || !tsigKeygen || !dig) return undefined;
  return { named, nsupdate, tsigKeygen, dig };
}

/**
 * Starts BIND 9 (`named -g -4`) on a free 127.0.0.1 port (UDP and TCP) in a temporary folder,
 * authoritative for {@link BIND_ZONE} with dynamic updates through a TSIG key, plus a refused and
 * a broken zone for the error cases. The PID is recorded through `startProcess`.
 */
export async function startBind(options: BindOptions = {}): Promise<BindServer> {
  const bins = bindBinaries();
  if (!bins) throw new Error('BIND is not installed (named, nsupdate, tsig-keygen, dig)');
  const dir = mkdtempSync(path.join(tmpdir(), 'wayfinder-bind-'));
  const port = await freePort({ udp: true });
  const { stdout: key } = await run(bins.tsigKeygen, ['-a', 'hmac-sha256', 'wayfinder-test']);
  writeFileSync(path.join(dir, 'key.conf'), key);
  const zone = [
    '$TTL 2',
    `@ IN SOA ns.${BIND_ZONE}. admin.${BIND_ZONE}. 1 60 60 600 1`,
    `@ IN NS ns.${BIND_ZONE}.`,
    'ns IN A 127.0.0.1',
    ...(options.records ?? []),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'svc.zone'), zone);
  writeFileSync(
    path.join(dir, 'refused.zone'),
    [`$TTL 2`, `@ IN SOA ns.${BIND_REFUSED_ZONE}. admin. 1 60 60 600 1`, `@ IN NS ns.${BIND_ZONE}.`, `_http._tcp IN SRV 0 1 80 ns.${BIND_ZONE}.`, ''].join('\n'),
  );
  writeFileSync(path.join(dir, 'broken.zone'), 'this is not a zone file\n');
  const writeConf = (refuseMainZone: boolean) => writeFileSync(
    path.join(dir, 'named.conf'),
    `include "${dir}/key.conf";
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  minimal-responses ${options.minimalResponses ? 'yes' : 'no'};
};
controls { };
zone "${BIND_ZONE}" { type primary; file "${dir}/svc.zone"; allow-update { key "wayfinder-test"; };${refuseMainZone ? ' allow-query { none; };' : ''} };
zone "${BIND_REFUSED_ZONE}" { type primary; file "${dir}/refused.zone"; allow-query { none; }; };
zone "${BIND_BROKEN_ZONE}" { type primary; file "${dir}/broken.zone"; };
`,
  );
  writeConf(false);

  let proc: ManagedProcess | undefined;
  const start = async (refusing = false) => {
    proc = startProcess(bins.named, ['-g', '-4', '-c', path.join(dir, 'named.conf')], { name: 'named', cwd: dir });
    const current = proc;
    try {
      await waitFor(
        async () => {
          if (current.child.exitCode !== null) throw new Error('exited');
          const name = refusing ? `_http._tcp.${BIND_REFUSED_ZONE}` : `ns.${BIND_ZONE}`;
          const { stdout } = await run(bins.dig, ['@127.0.0.1', '-p', String(port), '+time=1', '+tries=1', name, refusing ? 'SRV' : 'A'], { timeout: 5000 });
          return stdout.includes(refusing ? 'status: REFUSED' : 'status: NOERROR');
        },
        { timeoutMs: 15_000, what: `named on 127.0.0.1:${port}` },
      );
    } catch (error) {
      await current.stop({ signal: 'SIGKILL' });
      throw new Error(`named did not start: ${(error as Error).message}\n${current.output()}`);
    }
  };
  await start();

  const stop = async () => {
    await proc?.stop();
    proc = undefined;
  };

  return {
    port,
    dir,
    server: `127.0.0.1:${port}`,
    async update(...lines) {
      const script = [`server 127.0.0.1 ${port}`, `zone ${BIND_ZONE}`, ...lines, 'send', ''].join('\n');
      const child = execFile(bins.nsupdate, ['-k', path.join(dir, 'key.conf')], { timeout: 15_000 });
      const done = new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nsupdate failed (${code}): ${err}`))));
        child.once('error', reject);
      });
      child.stdin!.end(script);
      await done;
    },
    dig: (name, type) => digShort(bins.dig, port, name, type),
    stop,
    async restart(restartOptions = {}) {
      await stop();
      writeConf(restartOptions.refuseZone === true);
      await start(restartOptions.refuseZone === true);
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function digShort(dig: string, port: number, name: string, type: string): Promise<string> {
  const { stdout } = await run(dig, ['@127.0.0.1', '-p', String(port), '+short', '+time=1', '+tries=1', name, type], { timeout: 5000 });
  return stdout;
}
