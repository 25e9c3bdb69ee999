import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A hostile registry on 127.0.0.1: a real HTTP server speaking the Wayfinder registry protocol
 * (`GET /v1/services/svc`, `GET …/watch` as SSE) that the test scripts to misbehave: any body on
 * the next GET, any frame on the open streams, a frame cut in the middle and the socket destroyed.
 */
export interface HostileRegistry {
  readonly target: string;
  /** What GET and new watches serve (a JSON body) and its revision. */
  setCurrent(body: string, revision: string): void;
  /** The next GET (only) answers this body. */
  nextGet(body: string): void;
  /** Writes `frame` to every open watch stream. */
  push(frame: string): void;
  /** Writes `partial` to every open watch stream, then destroys them. */
  cut(partial: string): void;
  /** Destroys every open watch stream (the client relists). */
  breakStreams(): void;
  readonly gets: number;
  readonly watches: number;
  /** Watch streams open now. */
  readonly openStreams: number;
  close(): Promise<void>;
}

export const snapshotEvent = (body: string, revision: string): string => `event: snapshot\nid: ${revision}\ndata: ${body}\n\n`;

export async function startHostileRegistry(): Promise<HostileRegistry> {
  let current = { body: '', revision: '' };
  let pending: string | undefined;
  let gets = 0;
  let watches = 0;
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/v1/services/svc/watch')) {
      watches++;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      if (req.headers['last-event-id'] !== current.revision && current.body) res.write(snapshotEvent(current.body, current.revision));
      else res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (req.url?.startsWith('/v1/services/svc')) {
      gets++;
      const body = pending ?? current.body;
      pending = undefined;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const destroyAll = () => {
    for (const s of streams) s.destroy();
    streams.clear();
  };
  return {
    target: `registry+http://127.0.0.1:${port}/svc`,
    setCurrent: (body, revision) => (current = { body, revision }),
    nextGet: (body) => (pending = body),
    push: (frame) => {
      for (const s of streams) s.write(frame);
    },
    cut(partial) {
      for (const s of streams) s.write(partial);
      // Let the partial frame leave the socket before it is destroyed.
      setTimeout(destroyAll, 20);
    },
    breakStreams: destroyAll,
    get gets() {
      return gets;
    },
    get watches() {
      return watches;
    },
    get openStreams() {
      return streams.size;
    },
    async close() {
      destroyAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
