#!/usr/bin/env node
import { main } from './main.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
}
// Wayfinder's own timers never keep a process alive; a command-line run waits on purpose, so the
// command holds the process open until it finishes.
const keepAlive = setInterval(() => {}, 1 << 30);
try {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  });
} finally {
  clearInterval(keepAlive);
}
