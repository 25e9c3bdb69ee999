/**
 * `pnpm demo`: the dev registry, 4 backends and a client agent in one process, with a kill, a
 * drain, a slow backend and a new one halfway (see README "What the demo shows").
 * `pnpm demo -- --target <target>`: only the client half, against a real registry.
 */
import { parseDemoArgs, USAGE } from './args.js';
import { CONVERSATIONS, runClientHalf } from './client-half.js';
import { runScenario } from './scenario.js';
import { createDemoStats } from './stats.js';
import { buildSummary, type EventRecord, formatSummary } from './summary.js';

/** After the summary, anything still open gets this long before the process is ended. */
const EXIT_GRACE_MS = 5000;

async function main(): Promise<number> {
  let options;
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const tty = process.stdout.isTTY === true && !options.plain;
  const write = (text: string) => void process.stdout.write(text);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const stats = createDemoStats();
  let target = options.target ?? '';
  let events: EventRecord[] = [];
  try {
    if (options.target === undefined) {
      write(`Wayfinder demo: dev registry + 4 backends on 127.0.0.1, ${options.policy}, ${(options.durationMs / 1000).toFixed(0)} s (Ctrl-C stops early)\n`);
      ({ target, events } = await runScenario({ ...options, stats, tty, write, signal: stop.signal }));
    } else {
      write(`Wayfinder demo, client half: ${options.target}${options.path}, ${options.policy}, ${(options.durationMs / 1000).toFixed(0)} s\n`);
      await runClientHalf({ ...options, target: options.target, stats, tty, write, signal: stop.signal });
    }
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const summary = buildSummary({ mode: options.target === undefined ? 'embedded' : 'target', target, policy: options.policy, durationMs: options.durationMs, stats, events });
  if (stop.signal.aborted) write('\n(stopped early by Ctrl-C)');
  write(`${formatSummary(summary, CONVERSATIONS)}\n`);
  if (options.json) write(`SUMMARY ${JSON.stringify(summary)}\n`);
  return summary.failed === 0 && summary.sent > 0 ? 0 : 1;
}

// Library timers are unref'ed; this keeps the process alive while the demo waits on them.
const keepAlive = setInterval(() => {}, 60_000);
const code = await main().finally(() => clearInterval(keepAlive));
process.exitCode = code;
setTimeout(() => {
  process.stderr.write('demo: something was still open after the summary; exiting\n');
  process.exit(code);
}, EXIT_GRACE_MS).unref();
