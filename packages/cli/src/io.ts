/** What a command reads and writes, injected so tests run commands in-process. */
export interface CliIO {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM (bin.ts) or by a test. */
  readonly signal: AbortSignal;
}

/** A usage error: one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command: parses its own arguments and returns the exit code. */
export type Command = (args: string[], io: CliIO) => Promise<number>;
