/**
 * docs/protocol.md "ISO 7816-4 handling": short APDUs only, class, instruction, P1/P2 and length checks, the
 * selection requirement, and volatile state across power off / reset. Every answer is a status word.
 */
import { Ins, PURSE_AID, StatusWord, buildCommandApdu, parseResponseApdu, purseApdus } from '@ehkd/core';
import { describe, expect, it } from 'vitest';

import { newCard, payCommand } from './support/card-fixtures.js';

const apdu = (...bytes: number[]): Uint8Array => Uint8Array.of(...bytes);

describe('ISO 7816-4 command handling', () => {
  it('answers 6700 to fewer than 4 bytes and to extended-length APDUs', async () => {
    const card = await newCard();
    for (const bytes of [apdu(), apdu(0x80), apdu(0x80, 0x5c, 0x00)])
      expect(card.send(bytes).sw).toBe(StatusWord.WrongLength);
    // Extended case 2 (00 Le1 Le2) and extended case 3 (00 Lc1 Lc2 data).
    expect(card.send(apdu(0x80, 0x5c, 0, 0, 0x00, 0x01, 0x00)).sw).toBe(StatusWord.WrongLength);
    expect(card.send(apdu(0x00, 0xa4, 0x04, 0x00, 0x00, 0x00, 0x06, ...PURSE_AID)).sw).toBe(StatusWord.WrongLength);
  });

  it('answers 6E00 to any class but 00 and 80', async () => {
    const card = await newCard();
    for (const cla of [0x01, 0x04, 0x0c, 0x10, 0x84, 0x90, 0xa0, 0xff]) {
      expect(card.send(apdu(cla, Ins.GetState, 0, 0, 0)).sw).toBe(StatusWord.ClaNotSupported);
    }
  });

  it('answers 6D00 to instructions unknown for the class (SELECT is CLA 00 only, purse commands CLA 80 only)', async () => {
    const card = await newCard();
    expect(card.send(apdu(0x80, 0xa4, 0x04, 0x00, 0x06, ...PURSE_AID, 0)).sw).toBe(StatusWord.InsNotSupported);
    for (const ins of [
      Ins.Pay,
      Ins.Recover,
      Ins.ReadLog,
      Ins.GetState,
      Ins.GetChallenge,
      Ins.Load,
      Ins.IssuerCommand,
    ]) {
      expect(card.send(apdu(0x00, ins, 0, 0, 0)).sw).toBe(StatusWord.InsNotSupported);
    }
    for (const ins of [0x00, 0x20, 0xb0, 0xc0, 0xca, 0xff])
      expect(card.send(apdu(0x80, ins, 0, 0, 0)).sw).toBe(StatusWord.InsNotSupported);
  });

  it('answers 6A86 to wrong P1/P2', async () => {
    const card = await newCard();
    expect(card.send(apdu(0x00, 0xa4, 0x00, 0x00, 0x06, ...PURSE_AID, 0)).sw).toBe(StatusWord.WrongP1P2);
    expect(card.send(apdu(0x00, 0xa4, 0x04, 0x0c, 0x06, ...PURSE_AID)).sw).toBe(StatusWord.WrongP1P2);
    expect(card.send(apdu(0x80, Ins.GetState, 0x01, 0x00, 0)).sw).toBe(StatusWord.WrongP1P2);
    expect(card.send(apdu(0x80, Ins.GetChallenge, 0x00, 0x01, 0)).sw).toBe(StatusWord.WrongP1P2);
    expect(card.send(apdu(0x80, Ins.ReadLog, 0x00, 0x00, 0)).sw).toBe(StatusWord.WrongP1P2);
    expect(card.send(apdu(0x80, Ins.ReadLog, 0x01, 0x01, 0)).sw).toBe(StatusWord.WrongP1P2);
    const pay = purseApdus.pay(payCommand(100));
    pay[3] = 1;
    expect(card.send(pay).sw).toBe(StatusWord.WrongP1P2);
  });

  it("answers 6700 when Lc/Le do not match the command's case or the APDU length", async () => {
    const card = await newCard({ initialLoad: 10_000 });
    const pay = purseApdus.pay(payCommand(100));
    expect(card.send(pay.subarray(0, pay.length - 1)).sw).toBe(StatusWord.WrongLength); // PAY without Le (case 3)
    expect(card.send(pay.subarray(0, pay.length - 2)).sw).toBe(StatusWord.WrongLength); // Lc longer than the data
    expect(card.send(Uint8Array.of(...pay, 0)).sw).toBe(StatusWord.WrongLength); // one byte too many
    const smallLe = pay.slice();
    smallLe[smallLe.length - 1] = 0x80; // Ne 128 cannot take every receipt
    expect(card.send(smallLe).sw).toBe(StatusWord.WrongLength);
    expect(card.send(apdu(0x80, Ins.GetState, 0, 0)).sw).toBe(StatusWord.WrongLength); // case 1, needs Le
    expect(card.send(apdu(0x80, Ins.GetState, 0, 0, 1, 0xaa, 0)).sw).toBe(StatusWord.WrongLength); // case 4, no data expected
    expect(card.send(apdu(0x80, Ins.GetState, 0, 0, 4)).sw).toBe(StatusWord.WrongLength); // Ne 4 < the state's size
    expect(
      card.send(buildCommandApdu({ cla: 0x80, ins: Ins.Recover, p1: 0, p2: 0, data: new Uint8Array(15), ne: 256 })).sw,
    ).toBe(StatusWord.WrongLength);
    expect(card.send(apdu(0x00, 0xa4, 0x04, 0x00)).sw).toBe(StatusWord.WrongLength); // SELECT without AID
    expect(card.send(apdu(0x00, 0xa4, 0x04, 0x00, 0x06, ...PURSE_AID, 0x10)).sw).toBe(StatusWord.WrongLength); // Ne 16 < SELECT answer
    expect(card.applet.state.counter).toBe(1);
  });

  it('refuses every purse command with 6985 before a successful SELECT', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    card.applet.powerOff();
    card.applet.powerOn();
    const commands = [
      purseApdus.pay(payCommand(100)),
      purseApdus.recover(new Uint8Array(16)),
      purseApdus.readLog(1),
      purseApdus.getState(),
      purseApdus.getChallenge(),
      purseApdus.load(new Uint8Array(100)),
      purseApdus.issuerCommand(new Uint8Array(100)),
    ];
    for (const c of commands) expect(card.send(c).sw).toBe(StatusWord.ConditionsNotSatisfied);
    expect(card.send(apdu(0x00, 0xa4, 0x04, 0x00, 0x05, 0xa0, 0, 0, 0, 1, 0)).sw).toBe(StatusWord.FileNotFound);
    expect(card.send(purseApdus.getState()).sw).toBe(StatusWord.ConditionsNotSatisfied);
    expect(card.send(purseApdus.select()).sw).toBe(StatusWord.Ok);
    expect(card.send(purseApdus.getState()).sw).toBe(StatusWord.Ok);
  });

  it('keeps the selection after a SELECT of an unknown AID', async () => {
    const card = await newCard();
    expect(card.send(apdu(0x00, 0xa4, 0x04, 0x00, 0x06, 0xf0, 0x65, 0x48, 0x4b, 0x44, 0x02, 0)).sw).toBe(
      StatusWord.FileNotFound,
    );
    expect(card.send(purseApdus.getState()).sw).toBe(StatusWord.Ok);
  });

  it('accepts SELECT without Le (case 3) and answers the full response', async () => {
    const card = await newCard();
    const r = card.send(apdu(0x00, 0xa4, 0x04, 0x00, 0x06, ...PURSE_AID));
    expect(r.sw).toBe(StatusWord.Ok);
    expect(r.data.length).toBeGreaterThan(100);
  });

  it('clears the selection and the pending challenge on power off and on reset', async () => {
    for (const cycle of ['powerOff', 'reset'] as const) {
      const card = await newCard();
      expect(card.send(purseApdus.getChallenge()).sw).toBe(StatusWord.Ok);
      if (cycle === 'powerOff') {
        card.applet.powerOff();
        card.applet.powerOn();
      } else {
        card.applet.reset();
      }
      expect(card.applet.selected).toBe(false);
      expect(card.send(purseApdus.getState()).sw).toBe(StatusWord.ConditionsNotSatisfied);
      expect(card.send(purseApdus.select()).sw).toBe(StatusWord.Ok);
      // The challenge did not survive: a LOAD now has none.
      expect(card.send(purseApdus.load(new Uint8Array(100))).sw).toBe(StatusWord.ConditionsNotSatisfied);
    }
  });

  it('always answers with a status word, even to a command larger than any short APDU', async () => {
    const card = await newCard();
    const big = new Uint8Array(70_000).fill(0x80);
    big.set([0x80, Ins.GetState, 0, 0]);
    const r = card.applet.process(big);
    expect(parseResponseApdu(r).sw).toBe(StatusWord.WrongLength);
  });
});
