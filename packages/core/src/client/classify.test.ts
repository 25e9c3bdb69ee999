import { describe, expect, it } from 'vitest';
import { classifyError, classifyStatus, retryAfterMs } from './classify.js';

describe('classifyError', () => {
  it('treats refused, unresolvable and connect-timeout errors as never reaching the server', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT']) {
      expect(classifyError(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) }), false)).toBe('connect');
    }
  });
  it('treats resets and unknown errors as maybe processed, timeouts as timeouts, caller aborts as local', () => {
    expect(classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), false)).toBe('server');
    expect(classifyError(Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), false)).toBe('timeout');
    expect(classifyError(new Error('anything'), true)).toBe('local');
  });
});

describe('classifyStatus', () => {
  it('names gateway and server errors', () => {
    expect([502, 503, 504, 500, 404, 200].map(classifyStatus)).toEqual(['gateway', 'gateway', 'gateway', 'server', undefined, undefined]);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates (RFC 9110 §10.2.3)', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
