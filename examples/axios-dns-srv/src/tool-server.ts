import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TOOLS: Record<string, (input: string) => string> = {
  upper: (s) => s.toUpperCase(),
  reverse: (s) => [...s].reverse().join(''),
  length: (s) => String(s.length),
};

/** A tools backend: `GET /v1/tools/:name?input=…` on 127.0.0.1. */
export interface ToolServer {
  readonly name: string;
  readonly port: number;
  readonly served: number;
  close(): Promise<void>;
}

export async function startToolServer(options: { name: string; port?: number }): Promise<ToolServer> {
  let served = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://tools');
    const match = /^\/v1\/tools\/([^/]+)$/.exec(url.pathname);
    const tool = match ? TOOLS[decodeURIComponent(match[1]!)] : undefined;
    res.setHeader('content-type', 'application/json');
    if (!match || !tool) {
      res.writeHead(404).end(JSON.stringify({ error: `no such tool ${url.pathname}` }));
      return;
    }
    served++;
    res.end(JSON.stringify({ tool: decodeURIComponent(match[1]!), output: tool(url.searchParams.get('input') ?? ''), servedBy: options.name }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    name: options.name,
    port: (server.address() as AddressInfo).port,
    get served() {
      return served;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
