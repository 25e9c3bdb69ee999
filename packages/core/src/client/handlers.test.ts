import { describe, expect, it } from 'vitest';
import { dispatchHeader, parseRawHeaders, rawHeader, withHostHeader } from './handlers.js';

describe('withHostHeader', () => {
  it('sets host over every header shape undici and fetch pass, dropping any other host', () => {
    expect(withHostHeader({ Host: 'x', 'X-A': '1', 'x-u': undefined }, 'planner')).toEqual(['host', 'planner', 'X-A', '1']);
    expect(withHostHeader(['host', 'x', 'x-a', '1', 'x-a', '2'], 'planner')).toEqual(['host', 'planner', 'x-a', '1', 'x-a', '2']);
    expect(withHostHeader([['x-b', '3'], ['HOST', 'y']] as never, 'planner')).toEqual(['host', 'planner', 'x-b', '3']);
    expect(withHostHeader(new Map([['x-c', '4']]) as never, 'planner')).toEqual(['host', 'planner', 'x-c', '4']);
    expect(withHostHeader({ 'set-cookie': ['a', 'b'] }, 'planner')).toEqual(['host', 'planner', 'set-cookie', ['a', 'b']]);
    expect(withHostHeader(null, 'planner:8080')).toEqual(['host', 'planner:8080']);
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
