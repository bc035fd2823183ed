import { describe, expect, it } from 'vitest';
import { runDemo } from '../demo/story.js';

const canRunStack = process.getuid?.() === 0;

describe('the end-to-end offline story through pcscd and vpcd', () => {
  // CI runs as root and must run this; a developer without root gets a clear skip rather than a false failure.
  it.skipIf(!canRunStack && process.env['CI'] === undefined)(
    'comes out as narrated with every tap through the real PC/SC stack',
    async () => {
      const outcome = await runDemo({ pcsc: true, write: () => undefined });
      expect(outcome.checks.filter((c) => !c.ok)).toEqual([]);
      expect(outcome.checks.length).toBe(21);
    },
    180_000,
  );
});
