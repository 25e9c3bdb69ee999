import { InvalidEndpointError } from '@wayfinder/core';
import { describe, expect, it } from 'vitest';
import { parseKeyValue, parseRange, parseWatchResponse, watchLineSchema } from './parse.js';

// Payloads recorded from etcd 3.4.23's JSON gateway on 127.0.0.1 (`curl -N …/v3/watch`).
const HEADER = { cluster_id: '324952591200643719', member_id: '3319814642761637952', raft_term: '2' };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const LEASE = '2324035624685826059'; // > 2^53: must stay a string

describe('parseRange', () => {
  it('reads an empty prefix (no kvs, no count) as an empty set at the header revision', () => {
    expect(parseRange({ header: { ...HEADER, revision: '1' } })).toEqual({ endpoints: [], revision: '1', more: false });
  });

  it('reads naming-package values recorded from etcd, keyed by the etcd key', () => {
    const recorded = {
      header: { ...HEADER, revision: '2' },
      kvs: [{ key: 'cy9wL2E=', create_revision: '2', mod_revision: '2', version: '1', value: 'eyJPcCI6MCwiQWRkciI6IjEuMi4zLjQ6ODAifQ==' }],
      count: '1',
    };
    const { endpoints, revision } = parseRange(recorded);
    expect(revision).toBe('2');
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]).toMatchObject({ id: 's/p/a', address: '1.2.3.4', port: 80, ready: true, metadata: { etcd: { key: 's/p/a' } } });
  });

  it('keeps a lease id above 2^53 exactly, as a string', () => {
    const { endpoints } = parseRange({
      header: { ...HEADER, revision: '3' },
      kvs: [{ key: b64('s/p/b'), value: b64(JSON.stringify({ address: '10.0.0.2', port: 8080 })), mod_revision: '3', lease: LEASE }],
    });
    expect(endpoints[0]!.metadata).toEqual({ etcd: { key: 's/p/b', lease: LEASE } });
  });

  it('fails the whole list, naming the key, when one value is invalid (never a partial set)', () => {
    const body = {
      header: { ...HEADER, revision: '4' },
      kvs: [
        { key: b64('s/p/a'), value: b64(JSON.stringify({ address: '10.0.0.1', port: 80 })) },
        { key: b64('s/p/bad'), value: b64('{"address":"10.0.0.2","port":0}') },
      ],
    };
    expect(() => parseRange(body)).toThrow(InvalidEndpointError);
    expect(() => parseRange(body)).toThrow(/key "s\/p\/bad"\.port/);
  });

  it('rejects a malformed gateway answer', () => {
    expect(() => parseRange({ kvs: 'x' })).toThrow(/malformed \/v3\/kv\/range answer/);
  });
});

describe('parseKeyValue', () => {
  const kv = (value: unknown, key = 'svc/x') => ({ key: b64(key), value: b64(typeof value === 'string' ? value : JSON.stringify(value)) });

  it('reads Wayfinder endpoint JSON with every field, the id replaced by the key', () => {
    const endpoint = parseKeyValue(kv({ id: 'other', address: 'planner-1.svc', port: 443, hostname: 'planner', weight: 3, priority: 1, zone: 'a', terminating: true, metadata: { v: 1 } }));
    expect(endpoint).toMatchObject({ id: 'svc/x', address: 'planner-1.svc', port: 443, hostname: 'planner', weight: 3, priority: 1, zone: 'a', terminating: true, ready: false });
    expect(endpoint!.metadata).toEqual({ v: 1, etcd: { key: 'svc/x' } });
    expect(Object.isFrozen(endpoint)).toBe(true);
    expect(Object.isFrozen(endpoint!.metadata)).toBe(true);
  });

  it('reads the naming format with and without Op, keeping Metadata, and IPv6 in brackets', () => {
    expect(parseKeyValue(kv({ Op: 0, Addr: '[::1]:9000', Metadata: { w: 2 } }))).toMatchObject({ address: '::1', port: 9000, metadata: { naming: { w: 2 } } });
    expect(parseKeyValue(kv({ Addr: 'planner:50051' }))).toMatchObject({ address: 'planner', port: 50051, metadata: { etcd: { key: 'svc/x' } } });
  });

  it('treats naming Op 1 (Delete) as a withdrawn address', () => {
    expect(parseKeyValue(kv({ Op: 1, Addr: '1.2.3.4:80' }))).toBeNull();
  });

  it.each([
    ['not json', /value is not JSON/],
    [{ Op: 2, Addr: '1.2.3.4:80' }, /key "svc\/x": Op/],
    [{ Op: 0, Addr: '1.2.3.4' }, /key "svc\/x": Addr: missing port/],
    [{ address: 'a b', port: 1 }, /key "svc\/x"\.address/],
    [[1, 2], /key "svc\/x"/],
  ])('rejects %j with an error naming the key', (value, message) => {
    expect(() => parseKeyValue(kv(value))).toThrow(message);
  });
});

describe('parseWatchResponse', () => {
  it('reads the created response', () => {
    expect(parseWatchResponse({ header: { ...HEADER, revision: '2' }, created: true })).toEqual({ kind: 'created', revision: '2' });
  });

  it('reads a PUT (no type field) and a DELETE with prev_kv, in the shapes recorded from etcd', () => {
    const put = parseWatchResponse({
      header: { ...HEADER, revision: '3' },
      events: [{ kv: { key: 'cy9wL2I=', create_revision: '3', mod_revision: '3', version: '1', value: b64('{"Addr":"10.0.0.9:80"}'), lease: LEASE } }],
    });
    expect(put).toMatchObject({ kind: 'changes', remove: [], revision: '3' });
    expect((put as { upsert: { id: string }[] }).upsert.map((e) => e.id)).toEqual(['s/p/b']);
    const del = parseWatchResponse({
      header: { ...HEADER, revision: '4' },
      events: [
        {
          type: 'DELETE',
          kv: { key: 'cy9wL2E=', mod_revision: '4' },
          prev_kv: { key: 'cy9wL2E=', create_revision: '2', mod_revision: '2', version: '1', value: 'eyJPcCI6MCwiQWRkciI6IjEuMi4zLjQ6ODAifQ==' },
        },
      ],
    });
    expect(del).toEqual({ kind: 'changes', upsert: [], remove: ['s/p/a'], revision: '4' });
  });

  it('applies events of one response in order (put then delete of a key ends removed) and takes the last event revision', () => {
    const step = parseWatchResponse({
      header: { ...HEADER, revision: '9' },
      events: [
        { kv: { key: b64('k/a'), mod_revision: '5', value: b64('{"Addr":"1.1.1.1:1"}') } },
        { kv: { key: b64('k/b'), mod_revision: '6', value: b64('{"Addr":"1.1.1.2:1"}') } },
        { type: 'DELETE', kv: { key: b64('k/a'), mod_revision: '7' } },
      ],
    });
    expect(step).toMatchObject({ kind: 'changes', remove: ['k/a'], revision: '7' });
    expect((step as { upsert: { id: string }[] }).upsert.map((e) => e.id)).toEqual(['k/b']);
  });

  it('reads a progress notification (header only) as progress at the header revision', () => {
    expect(parseWatchResponse({ header: { ...HEADER, revision: '4' } })).toEqual({ kind: 'progress', revision: '4' });
  });

  it('reads the compaction cancel recorded from etcd (no header revision, compact_revision set)', () => {
    const line = { result: { header: HEADER, canceled: true, compact_revision: '4' } };
    const parsed = watchLineSchema.parse(line);
    expect(parseWatchResponse(parsed.result!)).toEqual({ kind: 'compacted', compactRevision: '4' });
  });

  it('reads another cancel with its reason', () => {
    expect(parseWatchResponse({ canceled: true, cancel_reason: 'permission denied' })).toEqual({ kind: 'canceled', reason: 'permission denied' });
  });

  it('accepts gateway error lines and rejects lines that are neither result nor error', () => {
    expect(watchLineSchema.safeParse({ error: 'etcdserver: mvcc: required revision has been compacted', message: 'x', code: 11 }).success).toBe(true);
    expect(watchLineSchema.safeParse({ hello: 1 }).success).toBe(false);
  });

  it('names the key of an invalid value in a watch event', () => {
    expect(() => parseWatchResponse({ events: [{ kv: { key: b64('k/x'), mod_revision: '2', value: b64('{"Addr":""}') } }] })).toThrow(/key "k\/x"/);
  });
});
