import dgram from 'node:dgram';
import net from 'node:net';
import type { Clock } from '@wayfinder/core';
import type { DnsServer } from './target.js';

/** The largest DNS message (a TCP answer is prefixed by a 16-bit length). */
export const MAX_DNS_MESSAGE_BYTES = 65_535;

/** One query exchange: bytes out, bytes in. */
export interface DnsExchange {
  readonly server: DnsServer;
  readonly protocol: 'udp' | 'tcp';
  readonly message: Buffer;
  /** The query id: UDP datagrams with another id (late answers to old queries) are ignored. */
  readonly id: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly clock: Clock;
}

/**
 * Moves DNS messages. The default talks UDP and TCP (RFC 1035 §4.2, RFC 7766); tests may pass
 * another to feed recorded or constructed answers to a source.
 */
export interface DnsTransport {
  /** Resolves with the raw answer; rejects with {@link DnsIoError} or the signal's reason. */
  exchange(request: DnsExchange): Promise<Buffer>;
}

/** The exchange failed below DNS: no answer in time, or the socket failed. */
export class DnsIoError extends Error {
  readonly failure: 'timeout' | 'network';
  constructor(failure: 'timeout' | 'network', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DnsIoError';
    this.failure = failure;
  }
}

/** UDP and TCP to real servers. One socket per query, closed when it settles. */
export const socketTransport: DnsTransport = {
  exchange(request) {
    return withDeadline(request, (settle) => (request.protocol === 'udp' ? udp(request, settle) : tcp(request, settle)));
  },
};

type Settle = { resolve(bytes: Buffer): void; reject(error: unknown): void };

/**
 * Runs `start` until it settles, the per-query timeout fires, or the signal aborts. The timer
 * and listener are removed when it ends; `start` returns the function that closes its socket.
 */
function withDeadline(request: DnsExchange, start: (settle: Settle) => () => void): Promise<Buffer> {
  const { signal, clock, timeoutMs, server } = request;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<Buffer>((resolve, reject) => {
    let done = false;
    let close: () => void = () => {};
    const finish = (action: () => void) => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      close();
      action();
    };
    const onAbort = () => finish(() => reject(signal.reason));
    const timer = clock.setTimeout(
      () => finish(() => reject(new DnsIoError('timeout', `no answer from ${label(server)} over ${request.protocol.toUpperCase()} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    signal.addEventListener('abort', onAbort, { once: true });
    close = start({ resolve: (bytes) => finish(() => resolve(bytes)), reject: (error) => finish(() => reject(error)) });
    if (done) close();
  });
}

function udp(request: DnsExchange, settle: Settle): () => void {
  const { server } = request;
  const socket = dgram.createSocket(net.isIPv6(server.address.split('%')[0]!) ? 'udp6' : 'udp4');
  socket.unref();
  socket.on('error', (error) => settle.reject(new DnsIoError('network', `UDP to ${label(server)} failed: ${error.message}`, { cause: error })));
  socket.on('message', (bytes, from) => {
    // Only the server's answer to this query counts (RFC 5452); anything else is dropped.
    if (from.port !== server.port || bytes.length < 2 || bytes.readUInt16BE(0) !== request.id) return;
    settle.resolve(bytes);
  });
  socket.connect(server.port, server.address, () => {
    socket.send(request.message, (error) => {
      if (error) settle.reject(new DnsIoError('network', `UDP to ${label(server)} failed: ${error.message}`, { cause: error }));
    });
  });
  return () => {
    try {
      socket.close();
    } catch {
      // already closed
    }
  };
}

function tcp(request: DnsExchange, settle: Settle): () => void {
  const { server } = request;
  const socket = net.connect({ host: server.address, port: server.port });
  socket.unref();
  let buffered = Buffer.alloc(0);
  socket.on('connect', () => {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(request.message.length);
    socket.end(Buffer.concat([length, request.message]));
  });
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < 2) return;
    const size = buffered.readUInt16BE(0);
    if (buffered.length >= 2 + size) settle.resolve(buffered.subarray(2, 2 + size));
  });
  socket.on('error', (error) => settle.reject(new DnsIoError('network', `TCP to ${label(server)} failed: ${error.message}`, { cause: error })));
  socket.on('close', () => settle.reject(new DnsIoError('network', `TCP to ${label(server)} closed before a full answer`)));
  return () => socket.destroy();
}

/** `address:port` with IPv6 in brackets. */
export function label(server: DnsServer): string {
  return server.address.includes(':') ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}
