import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IncidentJournal, type NewCardIncident } from '../src/store/incident-journal.js';
import { TerminalDatabase } from '../src/store/terminal-database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function journal(): IncidentJournal {
  const dir = mkdtempSync(join(tmpdir(), 'ehkd-incidents-'));
  dirs.push(dir);
  return new IncidentJournal(TerminalDatabase.open(join(dir, 'data')));
}

const incident = (evidence?: Uint8Array): NewCardIncident => ({
  cardId: new Uint8Array(8).fill(7),
  kind: 'conflicting-counter',
  counterSeen: 4,
  heldCounter: 5,
  detail: 'two receipts at counter 4',
  ...(evidence !== undefined && { evidence }),
});

describe('IncidentJournal.record', () => {
  it('records the same evidence once: the second tap of the card adds nothing', () => {
    const j = journal();
    expect(j.record(incident(new Uint8Array([1, 2, 3])), 100)).toBe(true);
    expect(j.record(incident(new Uint8Array([1, 2, 3])), 200)).toBe(false);
    expect(j.record(incident(new Uint8Array([4, 5, 6])), 300)).toBe(true);
  });

  it('refuses a row the schema forbids instead of dropping it silently (OR IGNORE would swallow the CHECK)', () => {
    const j = journal();
    const bogus = { ...incident(new Uint8Array([9])), kind: 'not-a-kind' } as unknown as NewCardIncident;
    expect(() => j.record(bogus, 100)).toThrow();
  });
});
