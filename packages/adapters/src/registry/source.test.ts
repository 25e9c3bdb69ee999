import { createSource, InvalidTargetError } from '@wayfinder/core';
import { describe, expect, it } from 'vitest';
import { registrySchemes } from './index.js';

const make = (target: string, env: Record<string, string> = {}) => createSource(target, { schemes: registrySchemes, env });

describe('registry+http targets', () => {
  it('creates a watching source with an idle timeout for host:port/service', () => {
    const source = make('registry+http://127.0.0.1:7070/checkout');
    expect(source.describe()).toBe('registry+http://127.0.0.1:7070/checkout');
    expect(typeof source.watch).toBe('function');
    expect(source.idleTimeoutMs).toBe(45_000);
  });

  it('polls without watch when watch=false', () => {
    expect(make('registry+http://127.0.0.1:7070/checkout?watch=false').watch).toBeUndefined();
  });

  it('never shows the token in describe() or in errors', () => {
    const source = make('registry+https://reg.example/base/checkout?token=s3cret');
    expect(source.describe()).not.toContain('s3cret');
    try {
      make('registry+http://127.0.0.1:7070/checkout?token=s3cret&nope=1');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('s3cret');
    }
  });

  it('rejects bad targets naming what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['registry+http:///checkout', /missing registry host/],
      ['registry+http://127.0.0.1:7070', /missing service/],
      ['registry+http://127.0.0.1:7070/bad%20name', /invalid service name/],
      ['registry+http://127.0.0.1:7070/s?idleTimeoutMs=0', /positive integer/],
      ['registry+http://127.0.0.1:7070/s?watch=maybe', /true or false/],
      ['registry+http://u:p@127.0.0.1:7070/s', /credentials/],
    ];
    for (const [target, message] of cases) {
      expect(() => make(target)).toThrow(InvalidTargetError);
      expect(() => make(target)).toThrow(message);
    }
  });
});
