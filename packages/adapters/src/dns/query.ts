import { readFile } from 'node:fs/promises';
import { type SourceContext, SourceError } from '@wayfinder/core';
import { DnsQueryError } from './errors.js';
import { decodeResponse, type DnsQueryType, type DnsResponse, encodeQuery, MalformedAnswerError } from './message.js';
import { DEFAULT_RESOLV_CONF_PATH, parseResolvConf } from './resolv-conf.js';
import type { DnsServer } from './target.js';
import { DnsIoError, type DnsTransport, label } from './transport.js';

export interface DnsQuerierOptions {
  /** The source's label, for errors. */
  readonly target: string;
  readonly server: DnsServer | undefined;
  readonly resolvConfPath: string;
  readonly systemPort: number;
  readonly timeoutMs: number;
  readonly transport: DnsTransport;
}

/** A response and the server (`address:port`) that gave it. */
export interface ServedResponse extends DnsResponse {
  readonly server: string;
}

/** Asks one question: `NOERROR` and `NXDOMAIN` answers return; every other outcome throws {@link DnsQueryError}. */
export type DnsQuerier = (name: string, type: DnsQueryType, context: SourceContext) => Promise<ServedResponse>;

/**
 * The query path shared by the DNS sources: the target's server, or each system resolver in
 * resolv.conf order (the next one is asked when one fails, as the C library does); UDP first,
 * TCP when the answer is truncated (RFC 7766). No retries: a failure goes to the resolver.
 */
export function createDnsQuerier(options: DnsQuerierOptions): DnsQuerier {
  const servers = async (): Promise<DnsServer[]> => {
    if (options.server) return [options.server];
    let text: string;
    try {
      text = await readFile(options.resolvConfPath, 'utf8');
    } catch (error) {
      throw new SourceError(options.target, `cannot read the system resolvers from ${options.resolvConfPath}: ${(error as Error).message}`, { cause: error });
    }
    const found = parseResolvConf(text, options.systemPort);
    if (found.length === 0) throw new SourceError(options.target, `${options.resolvConfPath} lists no nameserver; put a server in the target (dns-srv://10.0.0.10:53/…)`);
    return found;
  };

  return async (name, type, context) => {
    let last: unknown;
    for (const server of await servers()) {
      try {
        return await ask(options, server, name, type, context);
      } catch (error) {
        if (context.signal.aborted) throw error;
        last = error;
      }
    }
    throw last;
  };
}

async function ask(options: DnsQuerierOptions, server: DnsServer, name: string, type: DnsQueryType, context: SourceContext): Promise<ServedResponse> {
  const where = label(server);
  const question = `${name} ${type} @${where}`;
  const once = async (protocol: 'udp' | 'tcp'): Promise<DnsResponse> => {
    const id = Math.floor(context.random() * 0x10000) & 0xffff;
    let bytes: Buffer;
    context.signal.throwIfAborted();
    try {
      bytes = await options.transport.exchange({
        server,
        protocol,
        id,
        message: encodeQuery(name, type, id),
        timeoutMs: options.timeoutMs,
        signal: context.signal,
        clock: context.clock,
      });
    } catch (error) {
      if (context.signal.aborted || !(error instanceof DnsIoError)) throw error;
      throw new DnsQueryError(options.target, `${question}: ${error.message}`, { failure: error.failure, server: where }, { cause: error });
    }
    try {
      return decodeResponse(bytes, { id, name, type });
    } catch (error) {
      if (!(error instanceof MalformedAnswerError)) throw error;
      throw new DnsQueryError(options.target, `${question}: ${error.message}`, { failure: 'malformed', server: where }, { cause: error });
    }
  };
  let response = await once('udp');
  if (response.truncated) response = await once('tcp');
  if (response.rcode === 'NOERROR' || response.rcode === 'NXDOMAIN') return { ...response, server: where };
  const failure = response.rcode === 'SERVFAIL' ? 'servfail' : response.rcode === 'REFUSED' ? 'refused' : 'rcode';
  throw new DnsQueryError(options.target, `${question}: the server answered ${response.rcode}`, { failure, server: where, rcode: response.rcode });
}

/** Runs `read` on a response; invalid records become a {@link DnsQueryError} naming the server. */
export function readRecords<T>(target: string, response: ServedResponse, what: string, read: (r: DnsResponse) => T): T {
  try {
    return read(response);
  } catch (error) {
    if (!(error instanceof MalformedAnswerError)) throw error;
    throw new DnsQueryError(target, `${what} @${response.server}: ${error.message}`, { failure: 'malformed', server: response.server }, { cause: error });
  }
}

export { DEFAULT_RESOLV_CONF_PATH };
