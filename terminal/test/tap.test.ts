import { afterEach, describe, expect, it } from 'vitest';
import {
  CheckId,
  Ins,
  IssuerAction,
  StatusWord,
  bytesEqual,
  verifyPayReceipt,
  decodeCertificate,
  decodeCoseSign1,
  Limits,
  nobleVerifier,
} from '@ehkd/core';
import { devId } from '@ehkd/core/testing';
import { SimulatedReader, sendIssuerCommand } from '@ehkd/card-sim';
import { ForwardingCard } from '@ehkd/card-sim/vpcd';
import {
  IntentState,
  ReceiptState,
  Terminal,
  TerminalError,
  TerminalErrorCode,
  TerminalCheck,
  type TapResult,
} from '../src/index.js';
import { CountingCard } from './fixtures/counting-card.js';
import { denyList, enrolledTerminal, nowSeconds, scheme, softCard, tempDir } from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';

const open: Terminal[] = [];
function track(t: Terminal): Terminal {
  open.push(t);
  return t;
}
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

function approved(r: TapResult): Extract<TapResult, { outcome: 'approved' }> {
  if (r.outcome !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(r)}`);
  return r;
}

describe('a normal tap', () => {
  it('takes exactly 2 exchanges and 1 card signature, persists the receipt, then approves', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(10_000);
    const counting = new CountingCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(counting);

    const result = approved(await terminal.charge(reader, 1_250, { timeoutMs: 1000 }));

    expect(counting.exchanges).toEqual([
      { ins: Ins.Select, sw: StatusWord.Ok },
      { ins: Ins.Pay, sw: StatusWord.Ok },
    ]);
    expect(card.applet.state.balance).toBe(8_750);
    expect(card.applet.state.counter).toBe(2); // the initial load was 1, this payment 2
    expect(result.payment).toMatchObject({ amount: 1_250, balanceAfter: 8_750, counter: 2 });
    expect(bytesEqual(result.payment.cardId, card.cardId)).toBe(true);

    const [stored] = terminal.receipts();
    expect(stored?.state).toBe(ReceiptState.Queued);
    expect(bytesEqual(stored!.id, result.payment.receiptId)).toBe(true);
    // The stored bytes are the card's own, and verify on their own under the card certificate.
    const cert = decodeCertificate(decodeCoseSign1(card.certificate, Limits.certificateBytes).payload);
    const v = verifyPayReceipt(
      stored!.bytes,
      cert,
      { amount: 1_250, currency: 344, nonce: result.payment.nonce, payee: terminal.identity!.terminalId },
      nobleVerifier,
    );
    expect(v.ok).toBe(true);
    const status = terminal.status();
    expect(status.intents).toEqual({ pending: 0, completed: 1, voided: 0 });
    expect(status.exposure).toMatchObject({ receipts: 1, receiptAmount: 1_250, pendingIntents: 0 });
  });

  it('uses two durable commits per tap (intent, then receipt with the intent closed)', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const before = terminal.commits;
    approved(await terminal.charge(reader, 100));
    expect(terminal.commits - before).toBe(2);
  });

  it('keeps working across many taps with distinct nonces and a growing card chain', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const counters: number[] = [];
    for (let i = 0; i < 5; i++) counters.push(approved(await terminal.charge(reader, 100 + i)).payment.counter);
    expect(counters).toEqual([2, 3, 4, 5, 6]);
    expect(terminal.receipts().length).toBe(5);
    expect(card.applet.state.balance).toBe(10_000 - 510);
  });
});

describe('the card refuses', () => {
  it('reports insufficient funds with the status word, the balance and what to do; nothing charged, intent voided', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(500);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const r = await terminal.charge(reader, 1_000);
    expect(r).toMatchObject({
      outcome: 'card-refused',
      stage: 'pay',
      sw: StatusWord.InsufficientFunds,
      swName: 'InsufficientFunds',
    });
    if (r.outcome !== 'card-refused') return;
    expect(r.reason).toContain('HK$5.00');
    expect(r.next).toBe(NextStep.TopUpCard);
    expect(card.applet.state.balance).toBe(500);
    expect(terminal.receipts()).toEqual([]);
    expect(terminal.status().intents).toEqual({ pending: 0, completed: 0, voided: 1 });
  });

  it('refuses a card the issuer locked, before asking it to pay', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(5_000);
    const lock = await sendIssuerCommand((c) => card.applet.process(c), scheme.issuer.signer, {
      action: IssuerAction.Lock,
    });
    expect(lock.sw).toBe(StatusWord.Ok);
    const counting = new CountingCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(counting);
    const r = await terminal.charge(reader, 100);
    expect(r).toMatchObject({ outcome: 'declined', check: TerminalCheck.CardLocked });
    expect(counting.exchanges.map((e) => e.ins)).toEqual([Ins.Select]);
  });

  it('names a card without the purse application', async () => {
    const terminal = track(enrolledTerminal());
    const reader = new SimulatedReader();
    reader.insert({
      atr: Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01),
      powerOn() {},
      powerOff() {},
      reset() {},
      process: () => Uint8Array.of(0x6a, 0x82),
    });
    const r = await terminal.charge(reader, 100);
    expect(r).toMatchObject({ outcome: 'card-refused', stage: 'select', sw: StatusWord.FileNotFound });
    if (r.outcome === 'card-refused') expect(r.reason).toMatch(/no e-HKD purse/);
  });
});

describe('the terminal refuses', () => {
  it('a card on the deny list, without sending PAY', async () => {
    const card = await softCard(5_000);
    const terminal = track(
      enrolledTerminal({ denyList: denyList({ sequence: 3, cardIds: [devId(9, 9), card.cardId] }) }),
    );
    const counting = new CountingCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(counting);
    const r = await terminal.charge(reader, 100);
    expect(r).toMatchObject({ outcome: 'declined', check: CheckId.DenyList });
    if (r.outcome === 'declined') expect(r.next).toBe(NextStep.OtherPaymentMethod);
    expect(counting.exchanges.map((e) => e.ins)).toEqual([Ins.Select]);
    expect(card.applet.state.balance).toBe(5_000);
    expect(terminal.status().intents.pending + terminal.status().intents.voided).toBe(0);
  });

  it('a card whose certificate has expired', async () => {
    const terminal = track(enrolledTerminal());
    const now = nowSeconds();
    const card = await softCard(5_000, { validity: { notBefore: now - 400 * 86_400, notAfter: now - 86_400 } });
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const r = await terminal.charge(reader, 100);
    expect(r).toMatchObject({ outcome: 'declined', check: CheckId.CertExpiry });
    expect(card.applet.state.balance).toBe(5_000);
  });

  it('a card certificate not yet valid (a terminal clock behind the card) the same way', async () => {
    const now = nowSeconds();
    const terminal = track(enrolledTerminal({ now: () => now }));
    const card = await softCard(5_000, { validity: { notBefore: now + 3_600, notAfter: now + 400 * 86_400 } });
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    expect(await terminal.charge(reader, 100)).toMatchObject({ outcome: 'declined', check: CheckId.CertExpiry });
  });

  it('a card of an issuer it does not trust', async () => {
    const terminal = track(enrolledTerminal());
    const { createDevScheme } = await import('@ehkd/core/testing');
    const other = createDevScheme(new Uint8Array(32).fill(99));
    const card = await softCard(0, { issuer: { signer: other.issuer.signer, certificate: other.issuer.certificate } });
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    expect(await terminal.charge(reader, 100)).toMatchObject({ outcome: 'declined', check: CheckId.CertChain });
  });

  it('a card answering garbage to SELECT', async () => {
    const terminal = track(enrolledTerminal());
    const reader = new SimulatedReader();
    reader.insert({
      atr: Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01),
      powerOn() {},
      powerOff() {},
      reset() {},
      process: () => Uint8Array.of(0xa1, 0x01, 0x90, 0x00),
    });
    expect(await terminal.charge(reader, 100)).toMatchObject({ outcome: 'declined', check: CheckId.Structure });
  });

  it('to charge before enrolment, or a non-amount, with a typed error saying what to do', async () => {
    const terminal = track(Terminal.open({ dataDir: tempDir() }));
    const reader = new SimulatedReader();
    await expect(terminal.charge(reader, 100)).rejects.toMatchObject({ code: TerminalErrorCode.NotEnrolled });
    const enrolled = track(enrolledTerminal());
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      await expect(enrolled.charge(reader, bad)).rejects.toBeInstanceOf(TerminalError);
    }
  });

  it('gives up waiting for a card with NO_CARD', async () => {
    const terminal = track(enrolledTerminal());
    const err = await terminal.charge(new SimulatedReader(), 100, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).code).toBe(TerminalErrorCode.NoCard);
    expect((err as TerminalError).next).toBe(NextStep.ChargeAgain);
  });
});

describe('receipt verification', () => {
  it('refuses a receipt for another amount than asked (a card that lies), keeping its bytes as evidence', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(5_000);
    // A hostile card: forwards everything, but executes PAY for 1 cent less than asked.
    const reader = new SimulatedReader();
    reader.insert(
      new ForwardingCard(card.applet, (c, inner) => {
        if (c[1] !== Ins.Pay) return inner.process(c);
        return import('@ehkd/core').then(({ decodePayCommand, encodePayCommand }) => {
          const cmd = decodePayCommand(c.subarray(5, 5 + (c[4] as number)));
          const data = encodePayCommand({ ...cmd, amount: cmd.amount - 1 });
          return inner.process(Uint8Array.of(0x80, Ins.Pay, 0, 0, data.length, ...data, 0));
        });
      }),
    );
    const r = await terminal.charge(reader, 300);
    expect(r).toMatchObject({ outcome: 'declined', check: CheckId.Amount });
    expect(terminal.receipts()).toEqual([]);
    const s = terminal.status();
    expect(s.intents).toEqual({ pending: 0, completed: 0, voided: 1 });
  });
});

describe('intents', () => {
  it('are pending while PAY is in flight and never left pending by a completed tap', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(5_000);
    let pendingDuringPay = -1;
    const reader = new SimulatedReader();
    reader.insert(
      new ForwardingCard(card.applet, (c, inner) => {
        if (c[1] === Ins.Pay) pendingDuringPay = terminal.status().intents[IntentState.Pending];
        return inner.process(c);
      }),
    );
    approved(await terminal.charge(reader, 100));
    expect(pendingDuringPay).toBe(1);
    expect(terminal.status().intents.pending).toBe(0);
  });
});

describe('showing the approval', () => {
  it('an approval that could not be shown is shown on the next tap of that card, without charging again', async () => {
    const terminal = track(enrolledTerminal());
    const card = await softCard(5_000);
    const counting = new CountingCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(counting);
    const screenBroken = new Error('display failed');
    await expect(
      terminal.charge(reader, 400, {
        announce: () => {
          throw screenBroken;
        },
      }),
    ).rejects.toBe(screenBroken);
    expect(card.applet.state.balance).toBe(4_600);
    expect(terminal.status().unannounced).toMatchObject([{ amount: 400 }]);

    counting.take();
    const shown: string[] = [];
    const again = await terminal.charge(reader, 400, { announce: (r) => void shown.push(r.outcome) });
    expect(again).toMatchObject({ outcome: 'recovered', payment: { amount: 400, balanceAfter: 4_600 } });
    expect(shown).toEqual(['recovered']);
    expect(counting.take().map((e) => e.ins)).toEqual([Ins.Select]);
    expect(card.applet.state.balance).toBe(4_600);
    expect(terminal.status().unannounced).toEqual([]);
    expect((await terminal.charge(reader, 400)).outcome).toBe('approved');
    expect(card.applet.state.balance).toBe(4_200);
  });
});
