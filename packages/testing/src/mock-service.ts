import { delay, getResponse, http, HttpResponse, type RequestHandler } from 'msw';
import { InvalidOptionError } from '@wayfinder/core';

/** A fault injected on one fake endpoint. */
export interface EndpointFault {
  /** Wait this long before answering (or failing). */
  latencyMs?: number;
  /** Answer with this status instead of calling the handlers. */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Fail at the transport level: `refused` (ECONNREFUSED: never reached the server, retried
   * on another endpoint whatever the method), `reset` (ECONNRESET: may have been processed).
   */
  error?: 'refused' | 'reset';
}

/** One request a fake endpoint received. */
export interface MockRequest {
  readonly endpoint: string;
  readonly method: string;
  /** Path and query, e.g. `/v1/plan?x=1`. */
  readonly path: string;
  readonly headers: Headers;
}

/** One fake endpoint of a {@link MockService}: its own address, its requests, its faults. */
export interface MockEndpoint {
  /** `address:port`, the endpoint id the client's picker sees. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly requests: readonly MockRequest[];
  /** Apply `fault` to every request until {@link MockEndpoint.heal}. */
  fail(fault: EndpointFault): void;
  /** Apply `fault` to the next `times` requests only. */
  failNext(fault: EndpointFault, times?: number): void;
  heal(): void;
}

export interface MockServiceOptions {
  /** Number of fake endpoints. Default 1. */
  endpoints?: number;
  /** Port of every endpoint. Default 8080. */
  port?: number;
  /** The first three octets of the endpoints' addresses (`10.77.3`). Default derived from the name. */
  subnet?: string;
  /** Scheme of the logical URLs the handlers are written for. Default `http`. */
  protocol?: 'http' | 'https';
}

/**
 * A fake service for msw: N endpoints, each with its own address, answering with the
 * consumer's handlers, which are written for the logical URL (`http://planner/v1/plan`),
 * exactly as the code under test calls it. Faults (latency, status, refused, reset) are
 * injected per endpoint. The lifecycle mirrors msw's: `use`, `resetHandlers`.
 *
 * @example
 * const planner = mockService('planner', { endpoints: 3 }, [
 *   http.post('http://planner/v1/plan', () => HttpResponse.json({ steps: [] })),
 * ]);
 * const server = setupServer(...planner.handlers);
 * server.listen({ onUnhandledRequest: 'error' });
 * const client = createClient({ services: planner.services });
 * planner.endpoints[0]!.fail({ error: 'refused' });
 *
 * @see https://mswjs.io/docs/api/setup-server
 */
export interface MockService {
  readonly name: string;
  /** `static://…` listing the endpoints: give it to the client. */
  readonly target: string;
  /** `{ [name]: target }`, for `createClient({ services })`. */
  readonly services: Readonly<Record<string, string>>;
  readonly endpoints: readonly MockEndpoint[];
  /** The msw handlers to install (`setupServer(...service.handlers)` or `server.use(...)`). */
  readonly handlers: readonly RequestHandler[];
  /** Every request, in arrival order, across endpoints. */
  readonly requests: readonly MockRequest[];
  /** Prepends handlers (msw `server.use` semantics) until `resetHandlers()`. */
  use(...handlers: RequestHandler[]): void;
  /** Back to the initial handlers (or `handlers`), heals every endpoint and forgets requests. */
  resetHandlers(...handlers: RequestHandler[]): void;
}

export function mockService(name: string, options: MockServiceOptions = {}, handlers: readonly RequestHandler[] = []): MockService {
  const count = options.endpoints ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 254) throw new InvalidOptionError('endpoints', count, 'must be an integer from 1 to 254');
  const port = options.port ?? 8080;
  const subnet = options.subnet ?? `10.77.${hash(name) % 250}`;
  const protocol = options.protocol ?? 'http';
  let initial = [...handlers];
  let runtime: RequestHandler[] = [];
  const all: MockRequest[] = [];

  const endpoints = Array.from({ length: count }, (_, i) => {
    const address = `${subnet}.${i + 1}`;
    const requests: MockRequest[] = [];
    let fault: EndpointFault | undefined;
    const once: EndpointFault[] = [];
    const endpoint: MockEndpoint & { handle(request: Request): Promise<Response> } = {
      id: `${address}:${port}`,
      address,
      port,
      requests,
      fail(f) {
        fault = f;
      },
      failNext(f, times = 1) {
        for (let k = 0; k < times; k++) once.push(f);
      },
      heal() {
        fault = undefined;
        once.length = 0;
      },
      async handle(request) {
        const url = new URL(request.url);
        const seen: MockRequest = { endpoint: endpoint.id, method: request.method, path: url.pathname + url.search, headers: request.headers };
        requests.push(seen);
        all.push(seen);
        const f = once.shift() ?? fault;
        if (f?.latencyMs) await delay(f.latencyMs);
        if (f?.error) return transportError(f.error);
        if (f?.status !== undefined) return new HttpResponse(f.body ?? null, { status: f.status, headers: f.headers ?? {} });
        const logical = new Request(`${protocol}://${name}${url.port && url.port !== String(port) ? `:${url.port}` : ''}${url.pathname}${url.search}`, request);
        logical.headers.set('x-wayfinder-endpoint', endpoint.id);
        const response = await getResponse([...runtime, ...initial], logical);
        return response ?? new HttpResponse(`mockService(${name}): no handler for ${request.method} ${url.pathname}${url.search}`, { status: 404 });
      },
    };
    return endpoint;
  });

  const mswHandlers = endpoints.map((e) => http.all(`${protocol}://${e.address}:${port}/*`, ({ request }) => e.handle(request)));
  const target = `static://${endpoints.map((e) => e.id).join(',')}`;
  return {
    name,
    target,
    services: Object.freeze({ [name]: target }),
    endpoints,
    handlers: mswHandlers,
    get requests() {
      return all;
    },
    use(...more) {
      runtime = [...more, ...runtime];
    },
    resetHandlers(...next) {
      runtime = [];
      if (next.length > 0) initial = next;
      for (const e of endpoints) e.heal();
      for (const e of endpoints) (e.requests as MockRequest[]).length = 0;
      all.length = 0;
    },
  };
}

/**
 * A network error response: the client's fetch rejects with `TypeError('Failed to fetch')`
 * whose `cause` carries the Node error code, which is what the client classifies by.
 */
function transportError(kind: 'refused' | 'reset'): Response {
  const [code, errno, syscall] = kind === 'refused' ? ['ECONNREFUSED', -111, 'connect'] : ['ECONNRESET', -104, 'read'];
  return Object.assign(HttpResponse.error(), { code, errno, syscall });
}

function hash(text: string): number {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) >>> 0;
  return h;
}
