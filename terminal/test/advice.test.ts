import { describe, expect, it } from 'vitest';
import { Currency } from '@ehkd/core';
import { adviceFor, errorAdvice, tapAdvice } from '../src/cli/advice.js';
import { NextStep } from '../src/errors/next-step.js';
import { TerminalError, TerminalErrorCode } from '../src/errors/terminal-error.js';
import { TerminalCheck, nextStepForCheck } from '../src/tap/tap-check.js';

describe('the CLI words every next step; the domain only names it', () => {
  it('has words for every step', () => {
    for (const step of Object.values(NextStep)) expect(adviceFor(step).trim().length).toBeGreaterThan(10);
  });

  it('words a ledger that is down for the command that met it', () => {
    const down = new TerminalError(TerminalErrorCode.LedgerUnreachable, 'ledger unreachable', {
      next: NextStep.RetryLater,
    });
    const words = ['enrol', 'top-up', 'sync'].map((command) => errorAdvice(down, command));
    expect(new Set(words).size).toBe(3);
    expect(words[0]).toMatch(/enrol again/);
    expect(words[1]).toMatch(/not loaded/);
    expect(words[2]).toMatch(/receipts stay queued/);
  });

  it('names the floor limit of a declined tap, and the file of a permission fault', () => {
    const declined = {
      outcome: 'declined',
      check: TerminalCheck.FloorLimit,
      reason: 'above the floor limit',
      next: nextStepForCheck(TerminalCheck.FloorLimit),
      floorLimit: 1_000,
      resolved: [],
    } as const;
    expect(tapAdvice(declined, Currency.HKD)).toContain('HK$10.00');
    const exposed = new TerminalError(TerminalErrorCode.FilePermissions, 'open to others', {
      next: NextStep.FixPermissions,
      path: '/data/terminal.db',
    });
    expect(errorAdvice(exposed)).toContain('chmod 600 /data/terminal.db');
  });
});
