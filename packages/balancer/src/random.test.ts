import { seededRandom } from '@wayfinder/core';
import { describe, expect, it } from 'vitest';
import { createAliasTable, drawAlias } from './alias-table.js';
import { random } from './random.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

function shares(picker: { pick(c?: { exclude?: ReadonlySet<string> }): Parameters<typeof idOf>[0] }, n: number, context?: { exclude?: ReadonlySet<string> }) {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = idOf(picker.pick(context));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('random', () => {
  it('picks uniformly: each of 10 endpoints gets 10% ± 0.6 points over 100 000 seeded picks', () => {
    const picker = random().create({ random: seededRandom(7) }).build(setOf(endpoints(10)));
    const counts = shares(picker, 100_000);
    expect(counts.size).toBe(10);
    for (const c of counts.values()) expect(Math.abs(c / 100_000 - 0.1)).toBeLessThan(0.006);
  });

  it('honours weights 1:2:3:4 within ±0.8 points of the exact shares over 100 000 seeded picks', () => {
    const picker = random().create({ random: seededRandom(3) }).build(setOf(endpoints(4, (i) => ({ weight: i + 1 }))));
    const counts = shares(picker, 100_000);
    for (let i = 0; i < 4; i++) expect(Math.abs(counts.get(`e${i}`)! / 100_000 - (i + 1) / 10)).toBeLessThan(0.008);
  });

  it('ignores weights with weighted: false', () => {
    const picker = random({ weighted: false }).create({ random: seededRandom(3) }).build(setOf(endpoints(2, (i) => ({ weight: i === 0 ? 1 : 9 }))));
    const counts = shares(picker, 20_000);
    expect(Math.abs(counts.get('e0')! / 20_000 - 0.5)).toBeLessThan(0.02);
  });

  it('builds an alias table whose probabilities equal the weights exactly', () => {
    const weights = [5, 1, 0.5, 3.5];
    const table = createAliasTable(weights);
    const mass = new Array<number>(4).fill(0);
    for (let i = 0; i < 4; i++) {
      mass[i]! += table.prob[i]! / 4;
      mass[table.alias[i]!]! += (1 - table.prob[i]!) / 4;
    }
    mass.forEach((m, i) => expect(m).toBeCloseTo(weights[i]! / 10, 12));
    expect(drawAlias(table, 0)).toBe(0);
  });

  it('never returns an excluded endpoint while another remains, and falls back when all are excluded', () => {
    const picker = random().create({ random: seededRandom(1) }).build(setOf(endpoints(5, (i) => ({ weight: i + 1 }))));
    const exclude = new Set(['e0', 'e1', 'e2', 'e4']);
    for (let i = 0; i < 200; i++) expect(idOf(picker.pick({ exclude }))).toBe('e3');
    const all = new Set(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(idOf(picker.pick({ exclude: all }))).toMatch(/^e\d$/);
  });

  it('rejects a non-boolean weighted option naming it', () => {
    expect(() => random({ weighted: 'yes' as unknown as boolean })).toThrow(/"weighted"/);
  });
});
