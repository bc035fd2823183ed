import { Role, encodeDenyList, encodeTrustAnchorBundle, signCoseSign1 } from '@ehkd/core';
import { certifyLeaf, createDevScheme, devId, type DevScheme } from '@ehkd/core/testing';
import { createSoftCard, type SoftCard } from '@ehkd/card-sim';
import { Terminal } from '../src/index.js';

/** The scheme every terminal benchmark runs under. */
export const benchScheme: DevScheme = createDevScheme(new Uint8Array(32).fill(0x7e));

/** The benchmark terminal's id. */
export const BENCH_TERMINAL_ID = devId(5, 1);

/** Enrols a terminal in `dataDir` offline (key, acquirer-signed certificate, trust anchors, deny list), limits wide open. */
export function enrolBenchTerminal(dataDir: string): Terminal {
  const s = benchScheme;
  const terminal = Terminal.open({ dataDir });
  const merchantId = devId(6, 1);
  const request = terminal.prepareEnrolment({ merchantId, terminalId: BENCH_TERMINAL_ID });
  const bundle = encodeTrustAnchorBundle({
    root: s.root.certificate,
    certificates: [s.issuer.certificate, s.acquirer.certificate],
  });
  const deny = signCoseSign1(
    s.acquirer.signer,
    encodeDenyList({ signer: s.acquirer.id, sequence: 1, issuedAt: Math.floor(Date.now() / 1000), cardIds: [] }),
  );
  terminal.installEnrolment(
    certifyLeaf(s.acquirer, {
      role: Role.Terminal,
      subject: BENCH_TERMINAL_ID,
      publicKey: request.publicKey,
      terminal: { merchantId, mcc: 5411 },
    }),
    bundle,
    { denyList: deny },
  );
  terminal.setLimits({ maxOfflineCount: 1_000_000, maxOfflineAmount: 1_000_000_000_000 });
  return terminal;
}

/** An in-memory software card with a large balance and limits that never stop a benchmark. */
export function benchCard(): Promise<SoftCard> {
  return createSoftCard({
    issuer: { signer: benchScheme.issuer.signer, certificate: benchScheme.issuer.certificate },
    limits: { maxBalance: 100_000_000, maxPayment: 50_000, maxOfflineCount: 0xffff, maxOfflineAmount: 100_000_000 },
    initialLoad: 100_000_000,
  });
}
