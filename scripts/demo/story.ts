import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  Currency,
  EVIDENCE_KIND_NAME,
  Role,
  StatusWord,
  formatAmount,
  formatKeyFile,
  nobleVerifier,
  toHex,
  verifyDoubleSpendEvidence,
  type EvidenceKind,
} from '@ehkd/core';
import { createDevScheme, devId } from '@ehkd/core/testing';
import { FileCardStore, PurseApplet, createSoftCard, type SoftCard } from '@ehkd/card-sim';
import {
  Ledger,
  SqliteLedgerStore,
  buildLedgerServer,
  createDevCertificate,
  fraudCasesReport,
  partyKeyFromFile,
  renderFraudCases,
  renderSettlement,
  renderValueAudit,
  settlementReport,
  valueAudit,
} from '@ehkd/ledger';
import { Terminal, TerminalError, type TapResult } from '@ehkd/terminal';
import { errorAdvice, tapAdvice } from '@ehkd/terminal/advice';
import { Narrator, type DemoCheck } from './narrator.js';
import { PcscDemoStack, inProcessReader, type DemoReader } from './demo-reader.js';

/** How to run the story. */
export interface DemoOptions {
  /** Taps through the real PC/SC stack (pcscd + vpcd) instead of in-process readers. */
  readonly pcsc?: boolean;
  /** Where narration goes (default stdout). */
  readonly write?: (text: string) => void;
  /** Keep the working directory (ledger database, terminal databases, card files) and print its path. */
  readonly keep?: boolean;
}

/** What the story established: every expectation, and the figures a test may check. */
export interface DemoOutcome {
  readonly ok: boolean;
  readonly checks: readonly DemoCheck[];
  readonly workDir: string;
}

const HKD = (dollars: number): number => Math.round(dollars * 100);
const money = (minor: number): string => formatAmount(minor, Currency.HKD);

/** Card limits: an Octopus-like HK$3,000 maximum; Bob's card allows only 3 offline payments in a row. */
const LIMITS = { maxBalance: HKD(3_000), maxPayment: HKD(500), maxOfflineCount: 10, maxOfflineAmount: HKD(1_000) };

function outcomeText(r: TapResult): string {
  switch (r.outcome) {
    case 'approved':
      return `APPROVED ${money(r.payment.amount)} (card balance ${money(r.payment.balanceAfter)}, counter ${r.payment.counter})`;
    case 'recovered':
      return `APPROVED (recovered) ${money(r.payment.amount)}: no second charge (card balance ${money(r.payment.balanceAfter)})`;
    case 'declined':
      return `DECLINED [${r.check}] ${r.reason}. ${tapAdvice(r, Currency.HKD) ?? ''}`;
    case 'card-refused':
      return `CARD REFUSED [${r.swName} ${r.sw.toString(16).toUpperCase()}] ${r.reason}. ${tapAdvice(r, Currency.HKD) ?? ''}`;
    case 'interrupted':
      return `NOT FINISHED: ${r.reason}. ${tapAdvice(r, Currency.HKD) ?? ''}`;
  }
}

/**
 * The whole offline story, end to end, on embedded defaults: a scheme and a ledger; two merchants' terminals;
 * three cards loaded online; offline taps, a pull-away recovered, a cloned card double-spending, a card at its
 * offline cap; reconnection, settlement, detection with evidence, revocation reaching the terminals, the audit.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoOutcome> {
  const root = join(import.meta.dirname, '..', '..');
  const n = new Narrator(options.write ?? ((t) => process.stdout.write(t)));
  const work = mkdtempSync(join(tmpdir(), 'ehkd-demo-'));
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    // ---------------------------------------------------------------------------------------------------------
    n.chapter('The scheme, the ledger and two merchants');
    const scheme = createDevScheme(new TextEncoder().encode('e-HKD offline demo scheme, v1....').subarray(0, 32));
    const store = SqliteLedgerStore.open(join(work, 'ledger.db'));
    const acquirer = partyKeyFromFile(formatKeyFile(scheme.acquirer.keyFile), Role.Acquirer, 'acquirer');
    const issuer = partyKeyFromFile(formatKeyFile(scheme.issuer.keyFile), Role.Issuer, 'issuer');
    await Ledger.initialise(
      store,
      scheme.root.certificate,
      [scheme.issuer.certificate, scheme.acquirer.certificate],
      acquirer,
    );
    const ledger = await Ledger.open({ store, acquirer, issuers: [issuer] });
    cleanup.push(async () => {
      await ledger.close();
      await store.close();
    });
    // A throwaway TLS certificate for the ledger; each terminal is given it at enrolment and trusts nothing else.
    const tls = await createDevCertificate({ hosts: ['127.0.0.1'] });
    let server = buildLedgerServer({ ledger, tls });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const port = (server.server.address() as AddressInfo).port;
    const url = `https://127.0.0.1:${port}`;
    cleanup.push(() => server.close());
    n.say(
      `Root "eHKD Dev Root" certifies issuer "eHKD Dev Bank" and acquirer "eHKD Dev Acquirer" (ES256, COSE_Sign1).`,
    );
    n.say(
      `The acquirer's settlement ledger listens on ${url}, TLS with a self-signed P-256 certificate (SQLite in ${work}).`,
    );

    const shops = [
      { name: 'Kam Wah Cafe, Mong Kok', mcc: 5814, n: 1 },
      { name: 'Star Ferry Kiosk, Tsim Sha Tsui', mcc: 5994, n: 2 },
    ] as const;
    const terminals: Terminal[] = [];
    const codes: string[] = [];
    for (const s of shops) {
      // The operator registers the merchant and hands its shop a single-use code (`merchant add`, `terminal invite`).
      const merchant = await ledger.addMerchant({ merchantId: devId(0x06, s.n), name: s.name, mcc: s.mcc });
      const { code, invite } = await ledger.inviteTerminal({
        merchantId: merchant.merchantId,
        terminalId: devId(0x05, s.n),
      });
      codes.push(code);
      const t = Terminal.open({ dataDir: join(work, `terminal-${s.n}`) });
      cleanup.push(() => t.close());
      const enrolled = await t.enrolOnline(url, code, scheme.root.certificate, { ca: tls.cert, insecureHttp: false });
      terminals.push(t);
      n.say(
        `The acquirer registers merchant ${toHex(merchant.merchantId)} "${s.name}" (MCC ${s.mcc}) and issues enrolment code ${code.slice(0, 9)}... (single use, until ${new Date(invite.expiresAt * 1000).toISOString().slice(0, 16)}Z).`,
      );
      n.say(
        `Terminal ${enrolled.terminalId} made its key and enrolled with the code over HTTPS (the ledger's certificate pinned): its certificate names merchant ${enrolled.merchantId} "${enrolled.merchantName ?? ''}", as the acquirer registered it; trust anchors and deny list stored.`,
      );
    }
    const [cafe, kiosk] = terminals as [Terminal, Terminal];
    const intruder = Terminal.open({ dataDir: join(work, 'intruder') });
    cleanup.push(() => intruder.close());
    const replay = await intruder
      .enrolOnline(url, codes[0] as string, scheme.root.certificate, { ca: tls.cert, insecureHttp: false })
      .then(
        () => 'enrolled',
        (e: unknown) => (e instanceof TerminalError ? e.message : String(e)),
      );
    n.expect(
      'code-single-use',
      replay.includes('already used'),
      "a third device presenting the cafe's code is refused: a code enrols one terminal, once",
      replay,
    );

    let pcsc: PcscDemoStack | undefined;
    let readers: [DemoReader, DemoReader];
    if (options.pcsc === true) {
      pcsc = await PcscDemoStack.start(root);
      readers = [await pcsc.reader(0), await pcsc.reader(1)];
      n.say(
        'Readers: pcscd with vpcd\'s "Virtual PCD 00 00" (cafe) and "Virtual PCD 00 01" (kiosk); cards are served to them over vpcd.',
      );
    } else {
      readers = [inProcessReader('cafe reader'), inProcessReader('kiosk reader')];
      n.say('Readers: in-process (pass --pcsc to run every tap through pcscd and vpcd).');
    }
    const stack = pcsc;
    cleanup.push(async () => {
      for (const r of readers) await r.close();
      await stack?.close(root);
    });
    const [cafeReader, kioskReader] = readers;

    const tap = async (
      who: string,
      card: PurseApplet,
      amount: number,
      t: Terminal,
      reader: DemoReader,
      where: string,
    ): Promise<TapResult> => {
      await reader.present(card);
      const r = await t.charge(reader.transport, amount, { timeoutMs: 10_000 });
      await reader.takeAway();
      n.say(`${who} taps for ${money(amount)} at the ${where}: ${outcomeText(r)}`);
      return r;
    };

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('Three cards are personalised and loaded online');
    const people = [
      { name: 'Alice', load: HKD(500), limits: LIMITS },
      { name: 'Bob', load: HKD(200), limits: { ...LIMITS, maxOfflineCount: 3 } },
      { name: 'Carol', load: HKD(300), limits: LIMITS },
    ];
    const cards: SoftCard[] = [];
    for (const [i, p] of people.entries()) {
      const card = await createSoftCard({
        issuer: { signer: scheme.issuer.signer, certificate: scheme.issuer.certificate },
        limits: p.limits,
        cardId: devId(0x03, i + 1),
        file: join(work, `${p.name.toLowerCase()}.card`),
      });
      cards.push(card);
      await cafeReader.present(card.applet);
      const loaded = await cafe.topUp(cafeReader.transport, p.load);
      await cafeReader.takeAway();
      n.say(
        `${p.name}'s card ${toHex(card.cardId)}: key made on the card, certified by the bank; loaded ${money(loaded.amount)} online at the cafe (a load request signed by its terminal, issuer-signed LOAD, counter ${loaded.counter}).`,
      );
      n.expect(
        `load-${p.name}`,
        loaded.balanceAfter === p.load,
        `${p.name}'s card holds ${money(p.load)} after the load`,
      );
    }
    const [alice, bob, carol] = cards as [SoftCard, SoftCard, SoftCard];

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('The network goes down: both terminals are offline');
    await server.close();
    try {
      await kiosk.sync({ retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
      n.expect('offline', false, 'the ledger is unreachable');
    } catch (e) {
      const unreachable = e instanceof TerminalError && e.code === 'LEDGER_UNREACHABLE';
      n.expect('offline', unreachable, 'a sync attempt finds the ledger unreachable', String(e));
      if (e instanceof TerminalError) n.say(`Kiosk sync: ${e.message}. ${errorAdvice(e, 'sync')}`);
    }

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('Offline taps');
    const t1 = await tap('Alice', alice.applet, HKD(38.5), cafe, cafeReader, 'cafe');
    const t2 = await tap('Bob', bob.applet, HKD(12), kiosk, kioskReader, 'kiosk');
    n.expect(
      'offline-taps',
      t1.outcome === 'approved' && t2.outcome === 'approved',
      'offline taps are approved: 2 APDU exchanges, 1 card signature each',
    );

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('A card is pulled away mid-tap');
    await kioskReader.present(alice.applet);
    kioskReader.tearNextPay();
    const torn = await kiosk.charge(kioskReader.transport, HKD(27), { timeoutMs: 10_000 });
    await kioskReader.takeAway();
    n.say(
      `Alice taps for ${money(HKD(27))} at the kiosk and pulls her card away after it paid but before the answer: ${outcomeText(torn)}`,
    );
    n.expect(
      'pull-away',
      torn.outcome === 'interrupted' && torn.pending,
      'the tap is interrupted with a pending intent (persisted before PAY)',
    );
    const again = await tap('Alice', alice.applet, HKD(27), kiosk, kioskReader, 'kiosk (same sale, tapped again)');
    const aliceBalance = alice.applet.state.balance;
    n.expect(
      'recovered',
      again.outcome === 'recovered' && again.payment.amount === HKD(27),
      'RECOVER returns the receipt the card had signed: the sale completes once',
    );
    n.expect(
      'charged-once',
      aliceBalance === HKD(500 - 38.5 - 27),
      `Alice was charged once: her card holds ${money(aliceBalance)}`,
    );

    // ---------------------------------------------------------------------------------------------------------
    n.chapter("Mallory clones Carol's card");
    const cloneFile = join(work, 'mallory-clone.card');
    const carolState = FileCardStore.open(join(work, 'carol.card'));
    FileCardStore.create(cloneFile, carolState.load()).close();
    carolState.close();
    const clone = new PurseApplet(FileCardStore.open(cloneFile));
    n.say(
      "Mallory extracts the secret state of Carol's card (key, counter, balance, chain) into a second card, as an attacker who broke a secure element could.",
    );
    const genuine = await tap('Carol', carol.applet, HKD(120), cafe, cafeReader, 'cafe');
    const cloned = await tap('Mallory (clone)', clone, HKD(120), kiosk, kioskReader, 'kiosk');
    const cloned2 = await tap('Mallory (clone)', clone, HKD(80), kiosk, kioskReader, 'kiosk');
    n.expect(
      'clone-offline',
      genuine.outcome === 'approved' && cloned.outcome === 'approved' && cloned2.outcome === 'approved',
      'offline, both cards pay: no terminal can see the other one',
    );
    n.expect(
      'same-counter',
      genuine.outcome === 'approved' &&
        cloned.outcome === 'approved' &&
        genuine.payment.counter === cloned.payment.counter,
      'the clone signed a different receipt for the same counter value',
    );

    // ---------------------------------------------------------------------------------------------------------
    n.chapter("Bob's card reaches its offline cap");
    await tap('Bob', bob.applet, HKD(8), kiosk, kioskReader, 'kiosk');
    await tap('Bob', bob.applet, HKD(5), cafe, cafeReader, 'cafe');
    const capped = await tap('Bob', bob.applet, HKD(9.5), cafe, cafeReader, 'cafe');
    n.expect(
      'offline-cap',
      capped.outcome === 'card-refused' && capped.sw === StatusWord.OfflineCountExceeded,
      'after 3 offline payments the card itself refuses (9F03) and asks to go online',
    );

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('The network is back: terminals upload');
    server = buildLedgerServer({ ledger, tls });
    await server.listen({ port, host: '127.0.0.1' });
    let doubleSpends = 0;
    for (const [name, t] of [
      ['cafe', cafe],
      ['kiosk', kiosk],
    ] as const) {
      const report = await t.sync();
      doubleSpends += report.totals.doubleSpend;
      n.say(
        `The ${name} uploads ${report.batches.reduce((a, b) => a + b.receipts, 0)} receipt(s) in ${report.batches.length} terminal-signed batch(es): accepted ${report.totals.accepted}, duplicate ${report.totals.duplicate}, rejected ${report.totals.rejected}, double spend ${report.totals.doubleSpend}; deny list #${report.denyList.sequence} (${report.denyList.entries} card(s)).`,
      );
    }
    n.expect('double-spend-flagged', doubleSpends >= 1, "the ledger flags the clone's receipts as a double spend");
    const resend = await kiosk.sync();
    n.expect(
      'idempotent',
      resend.totals.accepted === 0 && resend.batches.length === 0,
      'a second sync uploads nothing new: nothing is credited twice',
    );

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('The ledger catches the double spend, with proof');
    const cases = await fraudCasesReport(store);
    const carolCases = cases.filter((c) => c.cardId === toHex(carol.cardId));
    n.expect('fraud-case', carolCases.length >= 1, "a fraud case names Carol's card and her issuer");
    n.block(renderFraudCases(cases, Currency.HKD));
    const record = (await store.fraudCases()).find(
      (c) => toHex(c.cardId) === toHex(carol.cardId) && c.evidence !== null,
    );
    if (record?.evidence != null) {
      const proof = verifyDoubleSpendEvidence(record.evidence, scheme.root.certificate, nobleVerifier);
      n.expect(
        'evidence',
        proof.ok,
        'the evidence verifies with nothing but the root certificate (any third party can check it)',
      );
      if (proof.ok)
        n.say(
          `Evidence (${record.evidence.length} bytes of CBOR): ${EVIDENCE_KIND_NAME[proof.value.kind as EvidenceKind]} at counter(s) ${proof.value.counters.join(', ')}, card ${toHex(proof.value.cardId)}, issuer ${toHex(proof.value.issuerId)}.`,
        );
    } else {
      n.expect('evidence', false, 'the fraud case carries evidence');
    }

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('The deny list reaches the terminals; the clone is refused');
    for (const [name, t] of [
      ['cafe', cafe],
      ['kiosk', kiosk],
    ] as const) {
      const r = await t.sync();
      n.say(
        `The ${name} syncs: deny list #${r.denyList.sequence} with ${r.denyList.entries} card(s)${r.denyList.updated ? ' (new)' : ''}.`,
      );
    }
    const refused = await tap('Mallory (clone)', clone, HKD(50), cafe, cafeReader, 'cafe');
    n.expect(
      'clone-refused',
      refused.outcome === 'declined' && refused.check === 'deny-list',
      'the revoked card is refused at its next tap (deny-list)',
    );

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('Bob goes online and pays again');
    await cafeReader.present(bob.applet);
    const topUp = await cafe.topUp(cafeReader.transport, HKD(100));
    await cafeReader.takeAway();
    n.say(
      `Bob tops up ${money(topUp.amount)} online at the cafe: the load is an online contact and resets the card's offline counters.`,
    );
    const afterOnline = await tap('Bob', bob.applet, HKD(9.5), cafe, cafeReader, 'cafe');
    n.expect('online-reset', afterOnline.outcome === 'approved', 'after going online the card pays again');
    await cafe.sync();

    // ---------------------------------------------------------------------------------------------------------
    n.chapter('Settlement and the value-conservation audit');
    const settlement = await settlementReport(store);
    n.block(renderSettlement(settlement));
    const audit = await valueAudit(store);
    n.block(renderValueAudit(audit, await store.fraudCases()));
    n.expect(
      'audit',
      audit.balanced,
      'loaded = settled + on cards + in flight + flagged, to the cent, every difference explained by a fraud case',
    );
    const credited = settlement.reduce((a, m) => a + m.creditedAmount, 0);
    const honest = HKD(38.5 + 12 + 27 + 120 + 8 + 5 + 9.5);
    n.expect(
      'settled',
      credited === honest,
      `merchants are credited every honest payment exactly once (${money(credited)})`,
      `expected ${money(honest)}`,
    );
    const cafeLine = settlement.find((m) => m.merchantId === toHex(devId(0x06, 1)));
    const sold = HKD(500 + 200 + 300 + 100);
    n.expect(
      'loads-debited',
      cafeLine?.loadAmount === sold && cafeLine.netAmount === cafeLine.creditedAmount - sold,
      `the cafe, which sold every load, is debited them (${money(sold)}): it took the customers' money`,
      `loads sold ${money(cafeLine?.loadAmount ?? 0)}`,
    );
    return { ok: n.allHeld, checks: n.checks, workDir: work };
  } finally {
    for (const c of cleanup.reverse()) await c();
    if (options.keep === true) n.say(`\nWorking directory kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}
