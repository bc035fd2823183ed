import { TransportError, TransportErrorCode } from '@ehkd/core';

/** Sends one C-APDU as is and resolves with the raw R-APDU (at least SW1 SW2). */
export type RawTransmit = (command: Uint8Array) => Promise<Uint8Array>;

/**
 * Upper bound on response data gathered through GET RESPONSE: a hostile card answering 61xx
 * forever must not grow memory without limit. Far above any response of this protocol.
 */
export const MAX_CHAINED_RESPONSE_BYTES = 65536;

/**
 * Completes one exchange as ISO/IEC 7816-3/-4 leave it to the terminal:
 * - 6Cxx (wrong Le): the command is sent again once with Le = xx;
 * - 61xx (more data): GET RESPONSE (CLA 00 on the command's logical channel, INS C0, Le = xx)
 *   is sent until the card answers another status, and all response data is concatenated
 *   in front of that final status word.
 *
 * @throws TransportError MALFORMED_RESPONSE if an answer has fewer than 2 bytes or the chained
 *   data exceeds MAX_CHAINED_RESPONSE_BYTES; whatever `transmit` throws.
 * @example
 * const response = await exchangeApdu(command, (c) => reader.transmit(c, 65538));
 */
export async function exchangeApdu(command: Uint8Array, transmit: RawTransmit): Promise<Uint8Array> {
  let response = checked(await transmit(command));
  if (response[response.length - 2] === 0x6c) {
    const retry = withLe(command, response[response.length - 1]!);
    if (retry !== undefined) response = checked(await transmit(retry));
  }
  if (response[response.length - 2] !== 0x61) return response;

  const parts: Uint8Array[] = [response.subarray(0, response.length - 2)];
  let total = parts[0]!.length;
  const cla = getResponseClass(command[0]!);
  while (response[response.length - 2] === 0x61) {
    response = checked(await transmit(Uint8Array.of(cla, 0xc0, 0x00, 0x00, response[response.length - 1]!)));
    if (response[response.length - 2] === 0x6c) {
      // The card wants another Le for GET RESPONSE itself.
      response = checked(await transmit(Uint8Array.of(cla, 0xc0, 0x00, 0x00, response[response.length - 1]!)));
    }
    total += response.length - 2;
    if (total > MAX_CHAINED_RESPONSE_BYTES) {
      throw new TransportError(
        TransportErrorCode.MalformedResponse,
        `the card chained more than ${MAX_CHAINED_RESPONSE_BYTES} bytes of response data with 61xx`,
      );
    }
    parts.push(response.subarray(0, response.length - 2));
  }
  const out = new Uint8Array(total + 2);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  out.set(response.subarray(response.length - 2), offset);
  return out;
}

function checked(response: Uint8Array): Uint8Array {
  if (response.length < 2) {
    throw new TransportError(
      TransportErrorCode.MalformedResponse,
      `the card answered ${response.length} byte(s); an R-APDU ends with SW1 SW2`,
    );
  }
  return response;
}

/**
 * The command with its short Le replaced (or appended) by `le`; undefined if the command is not
 * a well-formed short APDU (extended APDUs never get 6Cxx from a compliant card).
 */
function withLe(command: Uint8Array, le: number): Uint8Array | undefined {
  const n = command.length;
  let bodyEnd: number;
  if (n === 4)
    bodyEnd = 4; // case 1: header only
  else if (n === 5)
    bodyEnd = 4; // case 2: header + Le
  else if (command[4] !== 0 && n === 5 + command[4]!)
    bodyEnd = n; // case 3: header + Lc + data
  else if (command[4] !== 0 && n === 6 + command[4]!)
    bodyEnd = n - 1; // case 4: header + Lc + data + Le
  else return undefined;
  const out = new Uint8Array(bodyEnd + 1);
  out.set(command.subarray(0, bodyEnd));
  out[bodyEnd] = le;
  return out;
}

/** GET RESPONSE is interindustry (CLA 00) on the logical channel the command used. */
function getResponseClass(cla: number): number {
  if ((cla & 0xe0) === 0x00) return cla & 0x03; // first interindustry range: channels 0-3 in b2-b1
  if ((cla & 0xc0) === 0x40) return 0x40 | (cla & 0x0f); // further interindustry range: channels 4-19
  return 0x00; // proprietary class: its chaining runs on the basic channel
}
