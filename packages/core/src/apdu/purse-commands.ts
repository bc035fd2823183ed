import { encodePayCommand, type PayCommand } from '../messages/pay-command.js';
import { buildCommandApdu } from './command-apdu.js';
import { CLA_ISO, CLA_PROPRIETARY, Ins, PURSE_AID } from './command-set.js';

/** Le = 00: the terminal takes up to 256 bytes, which every purse answer fits. */
const NE = 256;

/**
 * The purse's C-APDUs, byte for byte as docs/protocol.md section 4 defines them (every answer requested with Le = 00).
 * @example await connection.transmit(purseApdus.pay({ amount: 1250, currency: 344, payee, nonce, time }))
 */
export const purseApdus = {
  /** 00 A4 04 00 06 <PURSE_AID> 00 */
  select: (): Uint8Array =>
    buildCommandApdu({ cla: CLA_ISO, ins: Ins.Select, p1: 0x04, p2: 0x00, data: PURSE_AID, ne: NE }),
  /** 80 50 00 00 Lc <PayCommand> 00. @throws CodecError on out-of-range fields (misuse) */
  pay: (command: PayCommand): Uint8Array =>
    buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.Pay, p1: 0, p2: 0, data: encodePayCommand(command), ne: NE }),
  /** 80 52 00 00 10 <nonce> 00 */
  recover: (nonce: Uint8Array): Uint8Array =>
    buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.Recover, p1: 0, p2: 0, data: nonce, ne: NE }),
  /** 80 54 <record> 00 00, record 1 = newest. */
  readLog: (record: number): Uint8Array =>
    buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.ReadLog, p1: record, p2: 0, ne: NE }),
  /** 80 5C 00 00 00 */
  getState: (): Uint8Array => buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.GetState, p1: 0, p2: 0, ne: NE }),
  /** 80 84 00 00 00 */
  getChallenge: (): Uint8Array =>
    buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.GetChallenge, p1: 0, p2: 0, ne: NE }),
  /** 80 56 00 00 Lc <LoadAuthorization COSE_Sign1> 00 */
  load: (authorization: Uint8Array): Uint8Array =>
    buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.Load, p1: 0, p2: 0, data: authorization, ne: NE }),
  /** 80 58 00 00 Lc <IssuerCommand COSE_Sign1> 00 */
  issuerCommand: (command: Uint8Array): Uint8Array =>
    buildCommandApdu({ cla: CLA_PROPRIETARY, ins: Ins.IssuerCommand, p1: 0, p2: 0, data: command, ne: NE }),
} as const;
