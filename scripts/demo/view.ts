import type { Resolver } from '@wayfinder/core';
import { type DemoStats, medianLatencyBetween, sharesBetween } from './stats.js';

export interface LiveViewOptions {
  stats: DemoStats;
  resolver: Resolver;
  /** True: redraw a table in place with ANSI cursor moves. False: one plain line per second. */
  tty: boolean;
  write: (text: string) => void;
  /** Endpoint id → what the demo did to it (`killed`, `slow`), shown beside its state. */
  notes: ReadonlyMap<string, string>;
  durationMs: number;
}

export interface LiveView {
  /** Prints a line above the table (TTY) or as is (plain). */
  log(line: string): void;
  stop(): void;
}

const WINDOW_MS = 1000;
const TTY_REDRAW_MS = 250;
const PLAIN_LINE_MS = 1000;

/**
 * The live view: endpoints from the resolver's snapshots (state), traffic and latency from the
 * client's `onAttempt` hook over the last second, in-flight counts from the picker hooks.
 */
export function startLiveView(options: LiveViewOptions): LiveView {
  const { stats, resolver, tty, write } = options;
  const order: string[] = [];
  const remember = (id: string) => {
    if (!order.includes(id)) order.push(id);
  };
  const offSnapshot = resolver.subscribe((state) => {
    for (const e of state.endpoints.endpoints) {
      remember(e.id);
      const name = e.metadata['name'];
      if (typeof name === 'string' && !stats.names.has(e.id)) stats.names.set(e.id, name);
    }
  });
  let drawnLines = 0;

  const stateOf = (id: string) => {
    const e = resolver.current?.endpoints.get(id);
    const note = options.notes.get(id);
    const base = !e ? 'gone' : e.terminating ? 'terminating' : e.ready ? 'ready' : 'not ready';
    return note && e ? `${base}, ${note}` : base;
  };

  const table = (): string[] => {
    const now = stats.now();
    for (const a of stats.attempts.slice(-200)) remember(a.id);
    const shares = sharesBetween(stats, now - WINDOW_MS, now);
    const latency = medianLatencyBetween(stats, now - WINDOW_MS, now);
    const header = `${pad('endpoint', 17)} ${pad('name', 6)} ${pad('state', 24)} ${padL('share', 6)} ${padL('in-flight', 9)} ${padL('p50 ms', 7)}`;
    const rows = order.map((id) => {
      const share = shares.get(id) ?? 0;
      const bar = '█'.repeat(Math.round(share * 20));
      const lat = latency.get(id);
      return `${pad(id, 17)} ${pad(stats.names.get(id) ?? '', 6)} ${pad(stateOf(id), 24)} ${padL(`${Math.round(share * 100)}%`, 6)} ${padL(String(stats.inFlight.get(id) ?? 0), 9)} ${padL(lat === undefined ? '-' : lat.toFixed(1), 7)} ${bar}`;
    });
    const progress = `t=${(now / 1000).toFixed(1)}s/${(options.durationMs / 1000).toFixed(0)}s  sent ${stats.sent}  failed ${stats.failed}  retried ${stats.retried}  sticky keys moved ${stats.rebinds.length}`;
    return [progress, header, ...rows];
  };

  const redraw = () => {
    const lines = table();
    write(`${drawnLines > 0 ? `\x1b[${drawnLines}F\x1b[J` : ''}${lines.join('\n')}\n`);
    drawnLines = lines.length;
  };

  const plainLine = () => {
    const now = stats.now();
    const shares = sharesBetween(stats, now - WINDOW_MS, now);
    const parts = order.map((id) => `${stats.names.get(id) ?? id} ${Math.round((shares.get(id) ?? 0) * 100)}% ${stateOf(id)}`);
    write(`[${(now / 1000).toFixed(1).padStart(5)}s] sent ${stats.sent} failed ${stats.failed} retried ${stats.retried} | ${parts.join(' | ')}\n`);
  };

  const timer = setInterval(tty ? redraw : plainLine, tty ? TTY_REDRAW_MS : PLAIN_LINE_MS);
  timer.unref();

  return {
    log(line) {
      if (tty && drawnLines > 0) {
        write(`\x1b[${drawnLines}F\x1b[J${line}\n`);
        drawnLines = 0;
        redraw();
      } else {
        write(`${line}\n`);
      }
    },
    stop() {
      clearInterval(timer);
      offSnapshot();
      if (tty) redraw();
      else plainLine();
    },
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padL = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
