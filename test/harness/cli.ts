import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'packages/cli/src/bin.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Sees each stdout line as it arrives (n counts from 0). */
  onLine?: (line: string, n: number) => void;
  /** Extra environment variables. */
  env?: Readonly<Record<string, string>>;
  /** Kill and reject after this long. Default 30 000 ms. */
  timeoutMs?: number;
}

/** Runs `wayfinder` as a user would: a child process from the sources (bounded in time). */
export function runWayfinder(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@wayfinder/source', '--import', 'tsx', BIN, ...args], {
      cwd: ROOT,
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
    let stdout = '';
    let stderr = '';
    let lines = 0;
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        options.onLine?.(line, lines++);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wayfinder ${args.join(' ')} did not finish; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
