import { parseTarget } from '@wayfinder/core';
import { describe, expect, it } from 'vitest';
import { parseEtcdTarget, prefixRangeEnd } from './target.js';

const parse = (text: string) => parseEtcdTarget(parseTarget(text));

describe('parseEtcdTarget', () => {
  it('takes the prefix as the path without its first slash', () => {
    expect(parse('etcd://127.0.0.1:2379/services/planner/')).toEqual({ members: ['http://127.0.0.1:2379'], prefix: 'services/planner/' });
  });

  it('writes a prefix that starts with "/" with two slashes', () => {
    expect(parse('etcd://h:2379//services/planner/').prefix).toBe('/services/planner/');
  });

  it('lists several members in order, defaulting the port to 2379 and bracketing IPv6', () => {
    expect(parse('etcd://a:1,b,[::1]:3/p').members).toEqual(['http://a:1', 'http://b:2379', 'http://[::1]:3']);
  });

  it('percent-decodes the prefix and reads progress-notify-ms', () => {
    expect(parse('etcd://h:1/a%20b/?progress-notify-ms=5000')).toEqual({ members: ['http://h:1'], prefix: 'a b/', progressNotifyMs: 5000 });
  });

  it.each([
    ['etcd:///p', /lists no etcd members/],
    ['etcd://h:1', /missing key prefix/],
    ['etcd://h:1/', /missing key prefix/],
    ['etcd://h:99999/p', /invalid port/],
    ['etcd://h:1,h:1/p', /twice/],
    ['etcd://h:1/p?x=1', /unknown query parameter "x"/],
    ['etcd://h:1/p?progress-notify-ms=0', /progress-notify-ms/],
    ['etcd://h:1/%E0%A4%A', /percent-encoding/],
  ])('rejects %s naming what is wrong', (target, message) => {
    expect(() => parse(target)).toThrow(message);
  });
});

describe('prefixRangeEnd', () => {
  it('increments the last byte, dropping trailing 0xff bytes, or "\\0" for all-0xff', () => {
    expect(prefixRangeEnd(Buffer.from('a/')).toString()).toBe('a0');
    expect([...prefixRangeEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixRangeEnd(Buffer.from([0xff, 0xff]))]).toEqual([0]);
  });
});
