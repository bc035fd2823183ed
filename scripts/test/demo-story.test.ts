import { describe, expect, it } from 'vitest';
import { runDemo } from '../demo/story.js';

// The main job's outcome, not its wording: every step came out as narrated.
const STORY = [
  'code-single-use',
  'load-Alice',
  'load-Bob',
  'load-Carol',
  'offline',
  'offline-taps',
  'pull-away',
  'recovered',
  'charged-once',
  'clone-offline',
  'same-counter',
  'offline-cap',
  'double-spend-flagged',
  'idempotent',
  'fraud-case',
  'evidence',
  'clone-refused',
  'online-reset',
  'audit',
  'settled',
  'loads-debited',
];

describe('the end-to-end offline story (in-process readers)', () => {
  it('comes out as narrated: recovery, double spend caught with proof, revocation enforced, audit balanced', async () => {
    const outcome = await runDemo({ write: () => undefined });
    expect(outcome.checks.filter((c) => !c.ok)).toEqual([]);
    expect(outcome.checks.map((c) => c.id)).toEqual(STORY);
    expect(outcome.ok).toBe(true);
  }, 120_000);
});
