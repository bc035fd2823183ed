import { parseResponseApdu, type CardConnection, type ResponseApdu } from '@ehkd/core';

/**
 * One exchange with the card (a C-APDU from core's `purseApdus`), split into data and status word.
 * @throws TransportError when the card leaves the field or answers fewer than 2 bytes.
 * @example const { data, sw } = await exchange(connection, purseApdus.select())
 */
export async function exchange(connection: CardConnection, command: Uint8Array): Promise<ResponseApdu> {
  return parseResponseApdu(await connection.transmit(command));
}
