import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet';

/** The record types Wayfinder asks for. */
export type DnsQueryType = 'SRV' | 'A' | 'AAAA';

/** The UDP payload size offered with EDNS(0): the DNS Flag Day 2020 value, safe from fragmentation. */
export const EDNS_UDP_PAYLOAD_BYTES = 1232;

/** A decoded, validated response. */
export interface DnsResponse {
  readonly id: number;
  /** `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, … */
  readonly rcode: string;
  /** TC bit: the answer did not fit in UDP; ask again over TCP. */
  readonly truncated: boolean;
  readonly answers: readonly Answer[];
  readonly authorities: readonly Answer[];
  readonly additionals: readonly Answer[];
}

/** An answer that cannot be used (undecodable, or not the answer to our question). */
export class MalformedAnswerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MalformedAnswerError';
  }
}

/** Lower-case, no trailing dot: how names are compared (RFC 4343). */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Encodes one query (RD set, EDNS(0) with {@link EDNS_UDP_PAYLOAD_BYTES}). `id` should come from
 * the injected random so answers cannot be guessed (RFC 5452).
 */
export function encodeQuery(name: string, type: DnsQueryType, id: number): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_PAYLOAD_BYTES, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
}

/**
 * Decodes a response and checks it answers the question: QR set, same id, opcode QUERY, exactly
 * our question (name compared case-insensitively, type, class IN). Throws
 * {@link MalformedAnswerError} otherwise.
 */
export function decodeResponse(bytes: Buffer, expected: { id: number; name: string; type: DnsQueryType }): DnsResponse {
  let packet: DecodedPacket & { rcode?: string; opcode?: string };
  try {
    packet = dnsPacket.decode(bytes);
  } catch (error) {
    throw new MalformedAnswerError(`undecodable answer (${bytes.length} bytes): ${(error as Error).message}`, { cause: error });
  }
  if (!packet.flag_qr) throw new MalformedAnswerError('the answer is not a response (QR bit clear)');
  if (packet.id !== expected.id) throw new MalformedAnswerError(`the answer id ${packet.id} does not match the query id ${expected.id}`);
  if (packet.opcode !== undefined && packet.opcode !== 'QUERY') throw new MalformedAnswerError(`unexpected opcode ${packet.opcode}`);
  const questions = packet.questions ?? [];
  const q = questions[0];
  // Some servers omit the question in error answers; when present it must be ours.
  if (questions.length > 1 || (q && (canonicalName(q.name) !== canonicalName(expected.name) || q.type !== expected.type || (q.class ?? 'IN') !== 'IN'))) {
    throw new MalformedAnswerError(`the answer is for another question (${questions.map((x) => `${x.name} ${x.type}`).join(', ')})`);
  }
  if (questions.length === 0 && packet.rcode === 'NOERROR' && !packet.flag_tc) throw new MalformedAnswerError('the answer carries no question');
  return {
    id: packet.id,
    rcode: packet.rcode ?? 'NOERROR',
    truncated: packet.flag_tc,
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: packet.additionals ?? [],
  };
}
