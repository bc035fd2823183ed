/**
 * PC/SC reader driver (`@ehkd/pcsc`): CardTransport over nfc-pcsc, with GET RESPONSE and wrong-Le
 * handling, typed card/reader removal, pcscd-restart recovery and several readers at once.
 * nfc-pcsc is an optional dependency: without it `openPcsc` throws PCSC_UNAVAILABLE.
 */
export {
  openPcsc,
  openPcscTransport,
  PcscReaderManager,
  type PcscOptions,
  type ReaderChoice,
} from './pcsc-reader-manager.js';
export { PcscTransport } from './pcsc-transport.js';
export { PcscCardConnection } from './pcsc-card-connection.js';
export { exchangeApdu, MAX_CHAINED_RESPONSE_BYTES, type RawTransmit } from './apdu-exchange.js';
export { PcscCode, pcscCodeOf, toTransportError } from './pcsc-error-map.js';
export { isPcscdListening, pcscdSocketPath } from './pcscd-probe.js';
