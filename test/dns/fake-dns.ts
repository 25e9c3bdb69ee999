import dnsPacket, { type Answer, type Question } from 'dns-packet';
import { type DnsExchange, DnsIoError, type DnsTransport } from '../../packages/adapters/src/dns/transport.js';

/** Constructed answers for unit tests: a response to `question` with the given sections. */
export function response(
  question: Question,
  id: number,
  parts: { answers?: Answer[]; additionals?: Answer[]; authorities?: Answer[]; rcode?: number; truncated?: boolean } = {},
): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (parts.truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | (parts.rcode ?? 0),
    questions: [question],
    answers: parts.answers ?? [],
    additionals: parts.additionals ?? [],
    authorities: parts.authorities ?? [],
  });
}

export const srv = (name: string, priority: number, weight: number, port: number, target: string, ttl = 30): Answer => ({
  type: 'SRV',
  name,
  ttl,
  class: 'IN',
  data: { priority, weight, port, target },
});
export const a = (name: string, address: string, ttl = 30): Answer => ({ type: 'A', name, ttl, class: 'IN', data: address });
export const aaaa = (name: string, address: string, ttl = 30): Answer => ({ type: 'AAAA', name, ttl, class: 'IN', data: address });
export const soa = (zone: string, ttl: number, minimum: number): Answer => ({
  type: 'SOA',
  name: zone,
  ttl,
  class: 'IN',
  data: { mname: `ns.${zone}`, rname: `admin.${zone}`, serial: 1, refresh: 60, retry: 60, expire: 600, minimum },
});

/** What a fake server answers for one question: sections, an rcode, or silence. */
export type FakeAnswer = { answers?: Answer[]; additionals?: Answer[]; authorities?: Answer[]; rcode?: number; truncatedOverUdp?: boolean } | 'silent';

/**
 * A transport answering from a table keyed `"name TYPE"` (NXDOMAIN for anything else), recording
 * every exchange. `silent` never answers (the query's timeout or abort ends it).
 */
export function fakeTransport(table: Record<string, FakeAnswer | ((ex: DnsExchange) => FakeAnswer)>): DnsTransport & { log: DnsExchange[]; questions(): string[] } {
  const log: DnsExchange[] = [];
  return {
    log,
    questions: () => log.map((ex) => `${dnsPacket.decode(ex.message).questions![0]!.name} ${dnsPacket.decode(ex.message).questions![0]!.type} ${ex.protocol}`),
    exchange(ex) {
      log.push(ex);
      const q = dnsPacket.decode(ex.message).questions![0]!;
      const entry = table[`${q.name} ${q.type}`];
      const found = typeof entry === 'function' ? entry(ex) : entry;
      if (found === 'silent') {
        return new Promise((resolve, reject) => {
          if (ex.signal.aborted) return reject(ex.signal.reason);
          const timer = ex.clock.setTimeout(() => reject(new DnsIoError('timeout', 'no answer')), ex.timeoutMs);
          ex.signal.addEventListener('abort', () => {
            ex.clock.clearTimeout(timer);
            reject(ex.signal.reason);
          });
          void resolve;
        });
      }
      if (!found) return Promise.resolve(response(q, ex.id, { rcode: 3 }));
      const truncated = ex.protocol === 'udp' && found.truncatedOverUdp === true;
      return Promise.resolve(
        response(q, ex.id, {
          ...(truncated ? { truncated: true } : found),
          ...(found.rcode !== undefined ? { rcode: found.rcode } : {}),
        }),
      );
    },
  };
}
