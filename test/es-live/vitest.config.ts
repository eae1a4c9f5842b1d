import { defineConfig } from 'vitest/config';

/** The opt-in suite against a live cluster: `ES_URL=http://localhost:9200 npm run test:es` (docker-compose.yml starts one). */
export default defineConfig({
  test: {
    include: ['test/es-live/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
