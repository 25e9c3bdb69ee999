import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The agent being called: answers with its pod name and zone, as a planner pod would. */
export interface PlannerAgent {
  readonly name: string;
  readonly zone: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly answered: number;
  close(): Promise<void>;
}

export async function startPlannerAgent(options: { name: string; zone: string; host?: string; port?: number }): Promise<PlannerAgent> {
  let answered = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://planner');
    if (url.pathname !== '/v1/answer') {
      res.writeHead(404).end();
      return;
    }
    answered++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ answeredBy: options.name, zone: options.zone, answer: `plan for "${url.searchParams.get('q') ?? ''}"` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    name: options.name,
    zone: options.zone,
    port: (server.address() as AddressInfo).port,
    get answered() {
      return answered;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
