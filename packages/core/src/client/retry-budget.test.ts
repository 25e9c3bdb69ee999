import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fake/fake-clock.js';
import { createRetryBudget } from './retry-budget.js';

describe('createRetryBudget', () => {
  it('allows the per-second floor times the ttl with no traffic', () => {
    const budget = createRetryBudget({ minPerSecond: 10, ttlMs: 10_000 }, createFakeClock());
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(100);
  });

  it('allows ratio × requests retries on top of the floor', () => {
    const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 0 }, createFakeClock());
    for (let i = 0; i < 100; i++) budget.deposit();
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(20);
  });

  it('forgets deposits and withdrawals after the ttl', async () => {
    const clock = createFakeClock();
    const budget = createRetryBudget({ ratio: 0.5, minPerSecond: 0, ttlMs: 1000 }, clock);
    for (let i = 0; i < 10; i++) budget.deposit();
    expect(budget.balance()).toBe(5);
    await clock.advance(1000);
    expect(budget.balance()).toBe(0);
    for (let i = 0; i < 4; i++) budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
  });

  it('rejects bad options, naming them', () => {
    expect(() => createRetryBudget({ ratio: -1 }, createFakeClock())).toThrow(/retry\.budget\.ratio/);
    expect(() => createRetryBudget({ ttlMs: 0 }, createFakeClock())).toThrow(/retry\.budget\.ttlMs/);
  });
});
