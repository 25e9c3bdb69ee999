import { describe, expect, it } from 'vitest';
import { dispatchHeader, parseRawHeaders, rawHeader, withHostHeader } from './handlers.js';

describe('withHostHeader', () => {
  it('sets host over every header shape undici and fetch pass, dropping any other host', () => {
    expect(withHostHeader({ Host: 'x', 'X-A': '1' }, 'planner')).toEqual({ 'x-a': '1', host: 'planner' });
    expect(withHostHeader(['host', 'x', 'x-a', '1', 'x-a', '2'], 'planner')).toEqual({ 'x-a': ['1', '2'], host: 'planner' });
    expect(withHostHeader([['x-b', '3']] as never, 'planner')).toEqual({ 'x-b': '3', host: 'planner' });
    expect(withHostHeader(new Map([['x-c', '4']]) as never, 'planner')).toEqual({ 'x-c': '4', host: 'planner' });
    expect(withHostHeader(null, 'planner:8080')).toEqual({ host: 'planner:8080' });
  });
});

describe('header lookups', () => {
  it('finds a header case-insensitively in dispatch and raw forms', () => {
    expect(dispatchHeader({ 'Idempotency-Key': 'k' }, 'idempotency-key')).toBe('k');
    expect(dispatchHeader(['Idempotency-Key', 'k'], 'idempotency-key')).toBe('k');
    expect(dispatchHeader(undefined, 'idempotency-key')).toBeUndefined();
    const raw = [Buffer.from('Retry-After'), Buffer.from('2'), Buffer.from('Set-Cookie'), Buffer.from('a'), Buffer.from('set-cookie'), Buffer.from('b')];
    expect(rawHeader(raw, 'retry-after')).toBe('2');
    expect(parseRawHeaders(raw)).toEqual({ 'retry-after': '2', 'set-cookie': ['a', 'b'] });
  });
});
