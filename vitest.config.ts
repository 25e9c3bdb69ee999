import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the `@wayfinder/source`
// export condition, so tests need no build.
const conditions = ['@wayfinder/source', 'node', 'import', 'module', 'default'];
const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
};

export default defineConfig({
  ...shared,
  test: {
    projects: [
      { ...shared, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'], testTimeout: 20_000 } },
      {
        ...shared,
        test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: ['test/chaos/**'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      { ...shared, test: { name: 'examples', include: ['examples/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts'], testTimeout: 60_000 } },
      { ...shared, test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 120_000, fileParallelism: false } },
    ],
  },
});
