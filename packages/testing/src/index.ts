/**
 * `@wayfinder/testing`: the test kit for code that uses Wayfinder. Fakes for driving discovery
 * deterministically (a hand-driven source, a fake clock, a seeded random) and msw helpers that
 * fake whole services, endpoint by endpoint, with fault injection. See docs/testing.md.
 *
 * msw (2.x) is a peer dependency: the kit's service and registry fakes are msw handlers. Code
 * that wants only the fakes, without msw, imports them from `@wayfinder/core/fake`.
 */
export { createFakeClock, type FakeClock, createFakeSource, type FakeSource, type FakeSourceOptions, seededRandom } from '@wayfinder/core/fake';
export { mockService, type MockService, type MockServiceOptions, type MockEndpoint, type MockRequest, type EndpointFault } from './mock-service.js';
export { setupMockServices, type MockServices } from './mock-services.js';
export * from './registry/index.js';
