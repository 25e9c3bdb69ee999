import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { choosePort, type EndpointSlice, endpointSliceListSchema, endpointSliceSchema, sliceToEndpoints, watchEventSchema } from './parse.js';
import { createSliceStore } from './slice-store.js';

const fixtures = path.join(import.meta.dirname, 'fixtures');
const list = endpointSliceListSchema.parse(JSON.parse(readFileSync(path.join(fixtures, 'endpointslice-list.json'), 'utf8')));
const [sliceA, sliceB] = list.items as [EndpointSlice, EndpointSlice];
const events = readFileSync(path.join(fixtures, 'watch-events.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => watchEventSchema.parse(JSON.parse(l)));

function minimal(endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [{ name: 'http', port: 80 }]): EndpointSlice {
  return { metadata: { name: 's' }, addressType: 'IPv4', endpoints, ports };
}

describe('sliceToEndpoints', () => {
  it('reads a recorded EndpointSlice list into one endpoint per entry with its first address', () => {
    const { endpoints } = sliceToEndpoints(sliceA, 'grpc');
    expect([...endpoints.keys()]).toEqual(['10.244.1.17:9090', '10.244.2.9:9090', '10.244.3.4:9090']);
    const first = endpoints.get('10.244.1.17:9090')!;
    expect(first).toMatchObject({ port: 9090, ports: { grpc: 9090, metrics: 9100 }, hostname: 'planner-0', node: 'worker-1', zone: 'eu-west-1a', ready: true, serving: true, terminating: false });
    expect(first.hints).toEqual({ forZones: ['eu-west-1a'] });
    expect(first.metadata).toEqual({ targetRef: { kind: 'Pod', namespace: 'agents', name: 'planner-0', uid: 'a1b2c3d4-0000-4000-8000-000000000017' } });
  });

  it('applies the API defaults: absent ready means ready, absent serving follows ready, absent terminating means not terminating', () => {
    const { endpoints } = sliceToEndpoints(minimal([{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], conditions: { ready: false } }, { addresses: ['10.0.0.3'], conditions: {} }]), 'http');
    expect(endpoints.get('10.0.0.1:80')).toMatchObject({ ready: true, serving: true, terminating: false });
    expect(endpoints.get('10.0.0.2:80')).toMatchObject({ ready: false, serving: false, terminating: false });
    expect(endpoints.get('10.0.0.3:80')).toMatchObject({ ready: true, serving: true, terminating: false });
  });

  it('keeps a terminating endpoint that still serves as serving but not ready', () => {
    const e = sliceToEndpoints(sliceA, 'grpc').endpoints.get('10.244.2.9:9090')!;
    expect(e).toMatchObject({ ready: false, serving: true, terminating: true, address: '10.244.2.9' });
  });

  it('maps forZones and forNodes hints', () => {
    const e = sliceToEndpoints(sliceB, 'grpc').endpoints.get('10.244.2.9:9090')!;
    expect(e.hints).toEqual({ forZones: ['eu-west-1b'], forNodes: ['worker-2'] });
  });

  it('brackets IPv6 addresses in the endpoint id', () => {
    const { endpoints } = sliceToEndpoints({ ...minimal([{ addresses: ['fd00::1'] }]), addressType: 'IPv6' }, 'http');
    expect([...endpoints.keys()]).toEqual(['[fd00::1]:80']);
  });

  it('throws naming the entry and field of a malformed entry', () => {
    expect(() => sliceToEndpoints(minimal([{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'], conditions: { ready: 'yes' } }]), 'http')).toThrow(
      /endpoints\[1\]\.conditions\.ready/,
    );
  });

  it('validates a changed entry again even when its address is known', () => {
    const before = sliceToEndpoints(minimal([{ addresses: ['10.0.0.1'] }]), 'http');
    expect(() => sliceToEndpoints(minimal([{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }]), 'http', before)).toThrow(/conditions\.ready/);
  });

  it('throws on an address the endpoint model rejects instead of building a partial set', () => {
    expect(() => sliceToEndpoints(minimal([{ addresses: ['10.0.0.1'] }, { addresses: ['bad address'] }]), 'http')).toThrow(/address/);
  });
});

describe('choosePort', () => {
  it('picks the port by name', () => {
    expect(choosePort(sliceB, 'metrics')).toMatchObject({ ok: true, port: 9100 });
  });
  it('picks the only port when the target names none', () => {
    expect(choosePort(minimal([], [{ port: 8080 }]), undefined)).toMatchObject({ ok: true, port: 8080, ports: { '': 8080 } });
  });
  it('refuses to guess between several ports and lists them', () => {
    expect(choosePort(sliceA, undefined)).toEqual({ ok: false, names: ['grpc', 'metrics'], ambiguous: true });
  });
  it('reports the names that exist when the named port is missing', () => {
    expect(choosePort(sliceA, 'http')).toEqual({ ok: false, names: ['grpc', 'metrics'], ambiguous: false });
  });
});

describe('slice store', () => {
  const store = () => {
    const s = createSliceStore();
    for (const item of list.items!) s.apply(item.metadata.name, sliceToEndpoints(item, 'grpc'));
    return s;
  };

  it('merges an address listed by two slices during a move into one endpoint, ready if either is', () => {
    const merged = store().endpoints();
    expect(merged.map((e) => e.id).sort()).toEqual(['10.244.1.17:9090', '10.244.2.9:9090', '10.244.3.4:9090']);
    expect(merged.find((e) => e.id === '10.244.2.9:9090')).toMatchObject({ ready: true, serving: true, terminating: false, hints: { forNodes: ['worker-2'] } });
  });

  it('applies recorded MODIFIED and DELETED events as changes of that slice alone', () => {
    const s = store();
    const modified = endpointSliceSchema.parse(events[0]!.object);
    const changes = s.apply(modified.metadata.name, sliceToEndpoints(modified, 'grpc'));
    // 10.244.2.9 left slice A but slice B still lists it (ready): it stays as it was, so it is no change.
    expect(changes.remove).toEqual([]);
    expect(changes.upsert.map((e) => [e.id, e.ready, e.hostname])).toEqual([
      ['10.244.1.17:9090', true, null],
      ['10.244.3.4:9090', false, null],
    ]);
    const deleted = endpointSliceSchema.parse(events[2]!.object);
    expect(s.apply(deleted.metadata.name, null)).toEqual({ upsert: [], remove: ['10.244.2.9:9090'] });
    expect(s.endpoints().map((e) => e.id).sort()).toEqual(['10.244.1.17:9090', '10.244.3.4:9090']);
  });

  it('adds a new slice without touching the endpoints of the others', () => {
    const s = store();
    const added = sliceToEndpoints(minimal([{ addresses: ['10.9.9.9'] }], [{ name: 'grpc', port: 9090 }]), 'grpc');
    expect(s.apply('planner-new', added)).toEqual({ upsert: [added.endpoints.get('10.9.9.9:9090')], remove: [] });
    expect(s.sliceCount).toBe(3);
  });

  it('turns a terminating copy plus a ready copy into ready, whichever slice arrives first', () => {
    const terminating = sliceToEndpoints(minimal([{ addresses: ['10.0.0.5'], conditions: { ready: false, serving: false, terminating: true } }]), 'http');
    const ready = sliceToEndpoints(minimal([{ addresses: ['10.0.0.5'] }]), 'http');
    const a = createSliceStore();
    a.apply('old', terminating);
    a.apply('new', ready);
    const b = createSliceStore();
    b.apply('new', ready);
    b.apply('old', terminating);
    expect(a.endpoints()).toEqual(b.endpoints());
    expect(a.endpoints()[0]).toMatchObject({ ready: true, terminating: false });
  });

  it('reuses the endpoints of unchanged entries when a slice is updated', () => {
    const before = sliceToEndpoints(sliceA, 'grpc');
    const modified = endpointSliceSchema.parse(events[0]!.object);
    const after = sliceToEndpoints({ ...sliceA, endpoints: [...sliceA.endpoints!.slice(0, 1), ...modified.endpoints!.slice(1)] }, 'grpc', before);
    expect(after.endpoints.get('10.244.1.17:9090')).toBe(before.endpoints.get('10.244.1.17:9090'));
    expect(after.endpoints.get('10.244.3.4:9090')).not.toBe(before.endpoints.get('10.244.3.4:9090'));
    expect(after.endpoints.get('10.244.3.4:9090')!.ready).toBe(false);
  });

  it('parses the recorded BOOKMARK and ERROR (410) events', () => {
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'BOOKMARK', 'DELETED', 'ERROR']);
    expect(events[3]!.object).toMatchObject({ code: 410, reason: 'Expired' });
  });
});
