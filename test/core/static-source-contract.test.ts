import { describe, expect, it } from 'vitest';
import { createSource, systemClock } from '@wayfinder/core';

// static:// has no registry to change or break: it passes the parts of the contract that apply.
describe('static:// (source contract, the parts that apply)', () => {
  it('lists a validated, frozen snapshot and never asks to be refreshed', async () => {
    const source = createSource('static://127.0.0.1:2,127.0.0.1:1');
    const listed = await source.list({ signal: new AbortController().signal, clock: systemClock, random: Math.random });
    expect(listed.endpoints.map((e) => e.id)).toEqual(['127.0.0.1:2', '127.0.0.1:1']);
    expect(listed.endpoints.every((e) => Object.isFrozen(e))).toBe(true);
    expect(listed.refreshAfterMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects a list whose signal is already aborted', async () => {
    const source = createSource('static://127.0.0.1:1');
    const controller = new AbortController();
    controller.abort(new Error('aborted by test'));
    await expect(source.list({ signal: controller.signal, clock: systemClock, random: Math.random })).rejects.toThrow('aborted by test');
  });
});
