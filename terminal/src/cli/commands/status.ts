import type { Command } from 'commander';
import { toHex } from '@ehkd/core';
import type { TerminalStatus } from '../../terminal.js';
import { formatAge } from '../../tap/risk-limits.js';
import { globals, withTerminal } from '../cli-context.js';
import { emit, lines, money, when } from '../output.js';

/** `status`: enrolment, queue, offline totals, limits left, deny list, last sync, and what blocks payments. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the queue, offline totals and limits left')
    .action(async (_opts: unknown, command: Command) => {
      const g = globals(command);
      await withTerminal(g, (terminal) => {
        const s = terminal.status();
        emit(g.json, s, () => describeStatus(s));
      });
    });
}

function describeStatus(s: TerminalStatus): string {
  const m = (n: number): string => money(n, s.currency);
  const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const q = s.queue;
  const out = [
    s.enrolled
      ? `Terminal ${s.terminalId} of merchant ${s.merchantId}${s.merchantName === undefined ? '' : ` (${s.merchantName})`}`
      : 'Terminal NOT ENROLLED',
    lines([
      ['certificate', s.certificateNotAfter === undefined ? '-' : `valid until ${when(s.certificateNotAfter)}`],
      ['ledger', s.ledgerUrl ?? '(none: offline only)'],
      ...(s.ledgerUrl === undefined ? [] : [['ledger TLS', ledgerTls(s)] as const]),
      ['last sync', s.sync.lastSuccessAt === undefined ? 'never' : when(s.sync.lastSuccessAt)],
      ...(s.sync.lastError === undefined ? [] : [['last error', s.sync.lastError] as const]),
      [
        'deny list',
        s.denyList === undefined
          ? 'none'
          : `#${s.denyList.sequence}, ${s.denyList.entries} cards, ${formatAge(s.denyList.ageSeconds)} old`,
      ],
      [
        'disk',
        `${mib(s.storage.freeBytes)} free; a day of receipts (${s.storage.receiptsPerDay}) needs ${mib(s.storage.dayBytes + s.storage.reserveBytes)} with the ${mib(s.storage.reserveBytes)} reserve`,
      ],
    ]),
    'Queue',
    lines([
      ['queued', `${q.queued.count} (${m(q.queued.amount)})`],
      ['uploading', `${q.uploading.count} (${m(q.uploading.amount)}) in ${s.unansweredBatches} unanswered batch(es)`],
      ['exported', `${q.exported.count} (${m(q.exported.amount)})`],
      ['accepted', `${q.accepted.count} (${m(q.accepted.amount)})`],
      ['duplicate', `${q.duplicate.count} (${m(q.duplicate.amount)}) already credited`],
      ['rejected', `${q.rejected.count} (${m(q.rejected.amount)})`],
      ['double-spend', `${q['double-spend'].count} (${m(q['double-spend'].amount)})`],
      [
        'pending taps',
        `${s.pendingTaps.length} (${m(s.exposure.pendingAmount)}) waiting for their card to be tapped again`,
      ],
      ['loads', loadsLine(s.pendingLoads, m)],
    ]),
    'Offline limits',
    lines([
      [
        'unsettled',
        `${s.exposure.receipts + s.exposure.pendingIntents} payments, ${m(s.exposure.receiptAmount + s.exposure.pendingAmount)}`,
      ],
      [
        'left',
        `${s.left.offlineCount} payments, ${m(s.left.offlineAmount)}; next payment at most ${m(s.left.nextPayment)}`,
      ],
      [
        'limits',
        `${m(s.limits.floorLimit)} per payment, ${s.limits.maxOfflineCount} payments / ${m(s.limits.maxOfflineAmount)} between syncs, deny list at most ${formatAge(s.limits.maxDenyListAgeSeconds)} old`,
      ],
      [
        'deny list',
        s.left.denyListSeconds === undefined
          ? '-'
          : s.left.denyListSeconds >= 0
            ? `usable for ${formatAge(s.left.denyListSeconds)} more`
            : 'TOO OLD',
      ],
    ]),
    ...incidentLines(s.incidents),
    ...s.warnings.map((w) => `WARNING: ${w}`),
    s.canTakePayments
      ? 'Ready to take payments.'
      : `CANNOT TAKE PAYMENTS:\n${s.problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return out.join('\n');
}

function ledgerTls(s: TerminalStatus): string {
  if (s.ledgerUrl?.startsWith('http:') === true) return 'NONE: plain HTTP (enrolled with --insecure-http)';
  return s.ledgerCa === undefined ? "the system's CAs" : `pinned to certificate ${s.ledgerCa}`;
}

/**
 * Cards declined because they went back in time: the operator should know of each (a restored or copied card), and
 * whether the proof of a double spend reached the ledger.
 */
function incidentLines(incidents: TerminalStatus['incidents']): string[] {
  if (incidents.length === 0) return [];
  const proof = (i: TerminalStatus['incidents'][number]): string =>
    i.evidenceState === undefined
      ? 'no card-signed proof (kept here only)'
      : i.evidenceState === 'pending'
        ? 'evidence waiting for the next sync'
        : `evidence ${i.evidenceState}: ${i.evidenceAnswer ?? ''}`;
  return [
    `Cards declined for going back in time (${incidents.length}; restored or copied cards)`,
    ...incidents
      .slice(0, 10)
      .map(
        (i) =>
          `  ${when(i.createdAt)}  card ${toHex(i.cardId)}  ${i.kind} at counter ${i.counterSeen} (held up to ${i.heldCounter}); ${proof(i)}`,
      ),
    ...(incidents.length > 10 ? [`  ... and ${incidents.length - 10} older (see --json)`] : []),
  ];
}

/** The load point's unsettled loads: cut during LOAD (resolve with the card), or receipts held for the ledger. */
function loadsLine(loads: TerminalStatus['pendingLoads'], m: (minor: number) => string): string {
  if (loads.length === 0) return 'none unsettled';
  const part = (state: string, text: string): string[] => {
    const these = loads.filter((l) => l.state === state);
    return these.length === 0 ? [] : [`${these.length} ${text} (${m(these.reduce((a, l) => a + l.amount, 0))})`];
  };
  return [
    ...part('sent', 'cut during LOAD: `top-up --resolve` with the card'),
    ...part('loaded', 'receipt(s) held for the next sync'),
    ...part('refused', 'receipt(s) refused by the ledger'),
  ].join('; ');
}
