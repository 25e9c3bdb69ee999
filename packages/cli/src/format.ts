import { type ResolverState, snapshotToJSON } from '@wayfinder/core';

/** One line of JSON per snapshot (the contract of `--json`). */
export function formatSnapshotJSON(state: ResolverState): string {
  return `${JSON.stringify(snapshotToJSON(state))}\n`;
}

/** A readable table of a snapshot. */
export function formatSnapshotTable(state: ResolverState): string {
  const head = `${state.target}  revision ${state.endpoints.revision}${state.stale ? '  STALE' : ''}  ${state.endpoints.size} endpoint(s)${
    state.error ? `\n  last error: ${state.error.message}` : ''
  }\n`;
  if (state.endpoints.size === 0) return `${head}  (no endpoints)\n`;
  const rows = state.endpoints.endpoints.map((e) => [
    e.address,
    String(e.port),
    e.hostname ?? '-',
    String(e.weight),
    String(e.priority),
    e.zone ?? '-',
    e.node ?? '-',
    e.terminating ? 'terminating' : e.ready ? 'ready' : e.serving ? 'serving' : 'not-ready',
  ]);
  return head + table(['ADDRESS', 'PORT', 'HOSTNAME', 'WEIGHT', 'PRIORITY', 'ZONE', 'NODE', 'STATE'], rows);
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  return line(header) + rows.map(line).join('');
}
