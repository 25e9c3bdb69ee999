import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { freePort } from '../harness/ports.js';

/** What a test backend saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  host: string | undefined;
  servername: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Reply = (req: SeenRequest, res: http.ServerResponse) => void;

/** A real node:http(s) server on 127.0.0.1 that records every request. */
export interface Backend {
  readonly port: number;
  readonly address: string;
  readonly seen: SeenRequest[];
  reply: Reply;
  close(): Promise<void>;
}

export const ok: Reply = (req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`ok ${req.method} ${req.url}`);
};

export function status(code: number, headers: Record<string, string> = {}): Reply {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'text/plain', ...headers });
    res.end(`status ${code}`);
  };
}

export async function startBackend(reply: Reply = ok, tls?: { key: string | Buffer; cert: string | Buffer }): Promise<Backend> {
  const seen: SeenRequest[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        host: req.headers.host,
        servername: (req.socket as TLSSocket).servername || undefined,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      backend.reply(entry, res);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend: Backend = {
    port: (server.address() as AddressInfo).port,
    address: '127.0.0.1',
    seen,
    reply,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return backend;
}

/** A 127.0.0.1 port with nothing listening: connections are refused. */
export async function refusingPort(): Promise<number> {
  return freePort();
}

export function staticTarget(...ports: number[]): string {
  return `static://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
}
