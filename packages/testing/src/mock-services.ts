import type { RequestHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import type { MockService } from './mock-service.js';

/**
 * An msw server for several {@link MockService}s, with msw's own lifecycle: `listen`, `use`,
 * `resetHandlers` (which also heals every fake endpoint and forgets their requests), `close`.
 *
 * @example
 * const planner = mockService('planner', { endpoints: 3 }, plannerHandlers);
 * const mocks = setupMockServices(planner);
 * beforeAll(() => mocks.listen({ onUnhandledRequest: 'error' }));
 * afterEach(() => mocks.resetHandlers());
 * afterAll(() => mocks.close());
 * const client = createClient({ services: mocks.services });
 *
 * @see https://mswjs.io/docs/api/setup-server
 */
export interface MockServices {
  /** The underlying msw server. */
  readonly server: SetupServer;
  /** `{ name: target }` for every mocked service, for `createClient({ services })`. */
  readonly services: Readonly<Record<string, string>>;
  listen(options?: Parameters<SetupServer['listen']>[0]): void;
  /** Prepends msw handlers (for other hosts, or overriding a service's endpoints). */
  use(...handlers: RequestHandler[]): void;
  /** msw's `resetHandlers`, plus every mock's `resetHandlers()`. */
  resetHandlers(): void;
  close(): void;
}

export function setupMockServices(...mocks: MockService[]): MockServices {
  const server = setupServer(...mocks.flatMap((m) => [...m.handlers]));
  return {
    server,
    services: Object.freeze(Object.assign({}, ...mocks.map((m) => m.services)) as Record<string, string>),
    listen: (options) => server.listen(options),
    use: (...handlers) => server.use(...handlers),
    resetHandlers() {
      server.resetHandlers();
      for (const m of mocks) m.resetHandlers();
    },
    close: () => server.close(),
  };
}
