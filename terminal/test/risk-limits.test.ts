import { afterEach, describe, expect, it } from 'vitest';
import { CheckId, Currency, Ins, Role } from '@ehkd/core';
import { certifyLeaf, devId } from '@ehkd/core/testing';
import { SimulatedReader } from '@ehkd/card-sim';
import { Terminal, TerminalCheck, TerminalErrorCode } from '../src/index.js';
import { CountingCard } from './fixtures/counting-card.js';
import {
  MERCHANT_ID,
  denyList,
  enrolledTerminal,
  nowSeconds,
  scheme,
  softCard,
  tempDir,
  trustBundle,
} from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';
import { tapAdvice } from '../src/cli/advice.js';

const open: Terminal[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});
function track(t: Terminal): Terminal {
  open.push(t);
  return t;
}

async function readerWith(balance: number): Promise<{ reader: SimulatedReader; counting: CountingCard }> {
  const card = await softCard(balance);
  const counting = new CountingCard(card.applet);
  const reader = new SimulatedReader();
  reader.insert(counting);
  return { reader, counting };
}

describe('terminal risk limits', () => {
  it('floor limit per payment: above it is declined without PAY, at it is approved', async () => {
    const terminal = track(enrolledTerminal({ limits: { floorLimit: 1_000 } }));
    const { reader, counting } = await readerWith(10_000);
    const r = await terminal.charge(reader, 1_001);
    expect(r).toMatchObject({ outcome: 'declined', check: TerminalCheck.FloorLimit });
    if (r.outcome === 'declined') expect(tapAdvice(r, Currency.HKD)).toContain('HK$10.00');
    expect(counting.take().map((e) => e.ins)).toEqual([Ins.Select]);
    expect(await terminal.charge(reader, 1_000)).toMatchObject({ outcome: 'approved' });
  });

  it('cumulative offline count since the last sync', async () => {
    const terminal = track(enrolledTerminal({ limits: { maxOfflineCount: 2 } }));
    const { reader } = await readerWith(10_000);
    expect((await terminal.charge(reader, 10)).outcome).toBe('approved');
    expect((await terminal.charge(reader, 10)).outcome).toBe('approved');
    const r = await terminal.charge(reader, 10);
    expect(r).toMatchObject({ outcome: 'declined', check: TerminalCheck.OfflineCount });
    if (r.outcome === 'declined') expect(r.next).toBe(NextStep.GoOnline);
    expect(terminal.status()).toMatchObject({ left: { offlineCount: 0, nextPayment: 0 }, canTakePayments: false });
  });

  it('cumulative offline amount since the last sync', async () => {
    const terminal = track(enrolledTerminal({ limits: { maxOfflineAmount: 1_500 } }));
    const { reader } = await readerWith(10_000);
    expect((await terminal.charge(reader, 1_000)).outcome).toBe('approved');
    expect(terminal.status().left).toMatchObject({ offlineAmount: 500, nextPayment: 500 });
    expect(await terminal.charge(reader, 600)).toMatchObject({
      outcome: 'declined',
      check: TerminalCheck.OfflineAmount,
    });
    expect((await terminal.charge(reader, 500)).outcome).toBe('approved');
  });

  it('counts taps of unknown outcome (pending intents) against the offline limits', async () => {
    const terminal = track(enrolledTerminal({ limits: { maxOfflineCount: 1 } }));
    const { reader } = await readerWith(10_000);
    void reader.pullAwayAfter((c) => c[1] === Ins.Pay);
    expect((await terminal.charge(reader, 10)).outcome).toBe('interrupted');
    const other = await readerWith(10_000);
    expect(await terminal.charge(other.reader, 10)).toMatchObject({
      outcome: 'declined',
      check: TerminalCheck.OfflineCount,
    });
  });

  it('ages the deny list by its signed issuedAt: an old list replayed stays old, a re-signed one is current', async () => {
    let now = nowSeconds();
    const terminal = track(
      enrolledTerminal({ now: () => now, denyList: denyList({ sequence: 1, issuedAt: now - 10 * 86_400 }) }),
    );
    const { reader, counting } = await readerWith(10_000);
    // Signed ten days ago: too old for the default 24 h, even though it was just received.
    const r = await terminal.charge(reader, 10);
    expect(r).toMatchObject({ outcome: 'declined', check: CheckId.DenyListAge });
    if (r.outcome === 'declined') expect(r.next).toBe(NextStep.GoOnline);
    expect(counting.exchanges.map((e) => e.ins)).toEqual([Ins.Select]);
    expect(terminal.status().problems.join(' ')).toMatch(/deny list is 10d 0h old/);
    // The same old list handed over again (a replay) does not make it current.
    expect(terminal.importDenyList(denyList({ sequence: 1, issuedAt: now - 10 * 86_400 })).updated).toBe(false);
    expect((await terminal.charge(reader, 10)).outcome).toBe('declined');
    // The ledger's re-signing of the same list (same sequence, fresh issuedAt) is current.
    expect(terminal.importDenyList(denyList({ sequence: 1, issuedAt: now })).updated).toBe(true);
    expect((await terminal.charge(reader, 10)).outcome).toBe('approved');
    now += 2 * 86_400; // two days without a sync
    expect(await terminal.charge(reader, 10)).toMatchObject({ outcome: 'declined', check: CheckId.DenyListAge });
    terminal.setLimits({ maxDenyListAgeSeconds: 3 * 86_400 });
    expect((await terminal.charge(reader, 10)).outcome).toBe('approved');
  });

  it('refuses without any deny list', async () => {
    const terminal = track(Terminal.open({ dataDir: tempDir() }));
    const terminalId = devId(5, 77);
    const request = terminal.prepareEnrolment({ merchantId: MERCHANT_ID, terminalId });
    terminal.installEnrolment(
      certifyLeaf(scheme.acquirer, {
        role: Role.Terminal,
        subject: terminalId,
        publicKey: request.publicKey,
        terminal: { merchantId: MERCHANT_ID, mcc: 5411 },
      }),
      trustBundle(),
    );
    const { reader } = await readerWith(10_000);
    const r = await terminal.charge(reader, 10);
    expect(r).toMatchObject({ outcome: 'declined', check: CheckId.DenyListAge });
    if (r.outcome === 'declined') expect(r.reason).toMatch(/no deny list/);
    expect(terminal.status().canTakePayments).toBe(false);
  });

  it('rejects invalid limits with BAD_CONFIG and keeps the old ones', () => {
    const terminal = track(enrolledTerminal({ limits: { floorLimit: 700 } }));
    expect(() => terminal.setLimits({ floorLimit: -1 })).toThrow(
      expect.objectContaining({ code: TerminalErrorCode.BadConfig }),
    );
    expect(() => terminal.setLimits({ maxOfflineCount: 1.5 })).toThrow(
      expect.objectContaining({ code: TerminalErrorCode.BadConfig }),
    );
    expect(terminal.status().limits.floorLimit).toBe(700);
  });
});
