import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { a, response, srv } from '../../../../test/dns/fake-dns.js';
import { decodeResponse, EDNS_UDP_PAYLOAD_BYTES, encodeQuery, MalformedAnswerError } from './message.js';

const NAME = '_http._tcp.planner.svc.test';
const question = { name: NAME, type: 'SRV' as const, class: 'IN' as const };

describe('encodeQuery', () => {
  it('asks one question with recursion desired and an EDNS(0) payload size', () => {
    const packet = dnsPacket.decode(encodeQuery(NAME, 'SRV', 4242));
    expect(packet.id).toBe(4242);
    expect(packet.flag_rd).toBe(true);
    expect(packet.questions).toEqual([{ name: NAME, type: 'SRV', class: 'IN' }]);
    expect(packet.additionals).toEqual([expect.objectContaining({ type: 'OPT', udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES })]);
  });
});

describe('decodeResponse', () => {
  it('returns sections, the rcode and the TC bit of a matching answer', () => {
    const bytes = response(question, 7, { answers: [srv(NAME, 1, 2, 80, 'a.svc.test')], additionals: [a('a.svc.test', '10.0.0.1')], truncated: true });
    const decoded = decodeResponse(bytes, { id: 7, name: NAME, type: 'SRV' });
    expect(decoded).toMatchObject({ id: 7, rcode: 'NOERROR', truncated: true });
    expect(decoded.answers).toHaveLength(1);
    expect(decoded.additionals).toHaveLength(1);
  });

  it('reads NXDOMAIN, SERVFAIL and REFUSED codes', () => {
    for (const [code, text] of [[3, 'NXDOMAIN'], [2, 'SERVFAIL'], [5, 'REFUSED']] as const) {
      expect(decodeResponse(response(question, 1, { rcode: code }), { id: 1, name: NAME, type: 'SRV' }).rcode).toBe(text);
    }
  });

  it('compares the question name case-insensitively', () => {
    const bytes = response({ ...question, name: NAME.toUpperCase() }, 3);
    expect(decodeResponse(bytes, { id: 3, name: NAME, type: 'SRV' }).rcode).toBe('NOERROR');
  });

  it.each([
    ['another id', () => response(question, 8), 'does not match the query id'],
    ['another name', () => response({ ...question, name: '_x._tcp.other.test' }, 1), 'another question'],
    ['another type', () => response({ ...question, type: 'A' }, 1), 'another question'],
    ['a query instead of a response', () => dnsPacket.encode({ type: 'query', id: 1, questions: [question] }), 'not a response'],
    ['garbage', () => Buffer.from([0, 1, 2]), 'undecodable'],
    ['a truncated packet', () => response(question, 1, { answers: [srv(NAME, 1, 1, 80, 'a.svc.test')] }).subarray(0, 40), 'undecodable'],
  ])('rejects %s', (_what, bytes, message) => {
    expect(() => decodeResponse(bytes(), { id: 1, name: NAME, type: 'SRV' })).toThrow(MalformedAnswerError);
    expect(() => decodeResponse(bytes(), { id: 1, name: NAME, type: 'SRV' })).toThrow(message);
  });
});
