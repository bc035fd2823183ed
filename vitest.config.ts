import { defineConfig } from 'vitest/config';

// Tests that drive the real PC/SC stack (pcscd + vpcd) share one daemon and fixed vpcd ports, and one of them
// restarts pcscd: they run one file at a time, after everything else. Their files have 'pcsc' in their name.
const roots = ['packages/*/test', 'card-sim/test', 'terminal/test', 'scripts/test'];
const pcsc = roots.map((r) => `${r}/**/*pcsc*.test.ts`).concat(['packages/pcsc/test/**/*.test.ts']);
// Installing the packed packages compiles native addons for a minute or two: alone, last, so it slows no timed test.
const packed = ['scripts/test/packed-install.test.ts'];

export default defineConfig({
  // Tests import the workspace packages from their sources (the exports maps' 'source' condition); the bins, and
  // what they start, run the built JavaScript in dist/ (`pnpm build`).
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: roots.map((r) => `${r}/**/*.test.ts`),
          exclude: [...pcsc, ...packed],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'pcsc', include: pcsc, fileParallelism: false, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'packed', include: packed, sequence: { groupOrder: 2 } } },
    ],
  },
});
