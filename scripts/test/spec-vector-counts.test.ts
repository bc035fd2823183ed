/**
 * docs/protocol.md section 9 states how many vectors each file holds: the figures an implementer checks their run
 * against. They are kept true by this test, not by hand.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const spec = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8');

describe('section 9 of the spec', () => {
  for (const file of readdirSync(join(root, 'test-vectors')).filter((f) => f.endsWith('.json'))) {
    it(`gives the number of tests of ${file}`, () => {
      const vectors = JSON.parse(readFileSync(join(root, 'test-vectors', file), 'utf8')) as {
        numberOfTests: number;
        testGroups: { tests: unknown[] }[];
      };
      expect(vectors.testGroups.reduce((n, g) => n + g.tests.length, 0)).toBe(vectors.numberOfTests);
      const row = spec.match(new RegExp(`^\\| \`${file.replace('.', '\\.')}\` \\| (\\d+) \\|`, 'm'));
      expect(row?.[1], `no row for ${file} in section 9`).toBe(String(vectors.numberOfTests));
    });
  }
});
