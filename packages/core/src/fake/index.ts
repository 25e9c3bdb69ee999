/**
 * Fakes for tests: a hand-driven source, a fake clock, and a seeded random.
 * Also re-exported by `@wayfinder/testing` for consumers.
 */
export { createFakeClock, type FakeClock } from './fake-clock.js';
export { createFakeSource, type FakeSource, type FakeSourceOptions } from './fake-source.js';
export { seededRandom } from '../random.js';
