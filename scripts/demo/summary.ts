import { byName, type DemoStats, sharesBetween } from './stats.js';

/** What happened at one event of the embedded scenario. */
export interface EventRecord {
  readonly kind: 'kill' | 'drain' | 'slow' | 'join';
  readonly backend: string;
  readonly id: string;
  /** ms since the demo started. */
  readonly atMs: number;
  readonly description: string;
  /** What the client saw afterwards (`removedAfterMs`, `terminatingAfterMs`, `goneAfterMs`, …). */
  readonly observed: Record<string, number>;
  /** True when the client observed the event's whole effect. */
  done: boolean;
}

export interface DemoSummary {
  readonly mode: 'embedded' | 'target';
  readonly target: string;
  readonly policy: string;
  readonly durationMs: number;
  readonly sent: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retried: number;
  readonly failures: readonly string[];
  readonly events: readonly (EventRecord & { sharesBefore: Record<string, number>; sharesAfter: Record<string, number> })[];
  readonly stickyMoves: readonly { key: string; from: string; to: string; atMs: number }[];
  /** Share of successful attempts per endpoint over the whole run. */
  readonly shares: Record<string, number>;
}

/** Traffic before and after each event: [previous event, event) → [event, next event). */
export function buildSummary(input: { mode: DemoSummary['mode']; target: string; policy: string; durationMs: number; stats: DemoStats; events: readonly EventRecord[] }): DemoSummary {
  const { stats } = input;
  const end = stats.now();
  const firstT = stats.attempts[0]?.t ?? 0;
  const events = [...input.events].sort((a, b) => a.atMs - b.atMs);
  return {
    mode: input.mode,
    target: input.target,
    policy: input.policy,
    durationMs: input.durationMs,
    sent: stats.sent,
    succeeded: stats.succeeded,
    failed: stats.failed,
    retried: stats.retried,
    failures: [...stats.failures],
    events: events.map((e, i) => ({
      ...e,
      sharesBefore: rounded(byName(stats, sharesBetween(stats, i === 0 ? firstT : events[i - 1]!.atMs, e.atMs))),
      sharesAfter: rounded(byName(stats, sharesBetween(stats, e.atMs, events[i + 1]?.atMs ?? end))),
    })),
    stickyMoves: stats.rebinds.map((r) => ({ key: r.key, from: stats.names.get(r.from) ?? r.from, to: stats.names.get(r.to) ?? r.to, atMs: Math.round(r.t) })),
    shares: rounded(byName(stats, sharesBetween(stats, 0, end + 1))),
  };
}

export function formatSummary(s: DemoSummary, conversations: number): string {
  const pct = (shares: Record<string, number>) =>
    Object.entries(shares)
      .map(([name, v]) => `${name} ${Math.round(v * 100)}%`)
      .join(' ') || '(no traffic)';
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    '',
    `Summary: ${s.mode === 'embedded' ? 'embedded dev registry' : s.target}, ${s.policy}, ${sec(s.durationMs)}`,
    `  requests sent   ${s.sent}`,
    `  failed          ${s.failed}  (target 0)${s.failures.length > 0 ? `: ${s.failures.join('; ')}` : ''}`,
    `  retried         ${s.retried}  (attempts re-sent to another endpoint)`,
    `  traffic         ${pct(s.shares)}`,
  ];
  if (s.events.length > 0) lines.push('  traffic shift after each event (share of successful attempts, before → after):');
  for (const e of s.events) {
    lines.push(`    ${sec(e.atMs).padStart(7)}  ${e.kind} ${e.backend}: ${e.description}`);
    lines.push(`             ${pct(e.sharesBefore)}  →  ${pct(e.sharesAfter)}`);
    lines.push(`             ${observedText(e)}`);
  }
  const keys = new Set(s.stickyMoves.map((m) => m.key));
  lines.push(`  sticky keys moved: ${keys.size} of ${conversations} conversations${s.stickyMoves.length > 0 ? ':' : ''}`);
  for (const m of s.stickyMoves) lines.push(`    ${m.key.padEnd(8)} ${m.from} → ${m.to} at ${sec(m.atMs)}`);
  lines.push(s.failed === 0 ? 'Result: no request failed.' : `Result: ${s.failed} request(s) failed.`);
  return lines.join('\n');
}

function observedText(e: EventRecord): string {
  const o = e.observed;
  const ms = (v: number | undefined) => (v === undefined ? 'not seen' : `${(v / 1000).toFixed(2)} s later`);
  switch (e.kind) {
    case 'kill':
      return `registry dropped it when its TTL ran out: ${ms(o['removedAfterMs'])}; ${o['cutRequests'] ?? 0} in-flight calls cut (retried elsewhere)`;
    case 'drain':
      return `clients saw it terminating ${ms(o['terminatingAfterMs'])}, gone ${ms(o['goneAfterMs'])}; ${o['completedDuringDrain'] ?? '?'} requests completed during the drain, ${o['cut'] ?? 0} cut`;
    case 'slow':
      return `each of its responses now takes ${o['delayMs']} ms`;
    case 'join':
      return `clients listed it ${ms(o['listedAfterMs'])}`;
  }
}

function rounded(shares: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(shares).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
}
