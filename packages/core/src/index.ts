// Public surface of @ehkd/core: pure TypeScript, no I/O, no native modules. Node-only helpers live in './node'.
export { EhkdError } from './errors/ehkd-error.js';
export {
  CborCursor,
  type CborDecodeLimits,
  CborError,
  CborErrorCode,
  CborTag,
  type CborValue,
  decodeCbor,
  encodeCbor,
} from './cbor/index.js';
export { CodecError, CodecErrorCode } from './codec/codec-error.js';
export { MapReader, checkBytes, checkTag, truncateUtf8, utf8Length } from './codec/map-reader.js';
export { CoseError, CoseErrorCode } from './cose/cose-error.js';
export {
  COSE_SIGN1_TAG,
  type CoseSign1,
  coseSigStructure,
  decodeCoseSign1,
  ES256_PROTECTED_HEADER,
  payloadId,
  signCoseSign1,
  verifyCoseSign1,
} from './cose/cose-sign1.js';
export { sha256 } from './crypto/hash.js';
export {
  ES256_SIGNATURE_LENGTH,
  P256_COMPRESSED_KEY_LENGTH,
  type SignatureVerifier,
} from './crypto/signature-verifier.js';
export { nobleVerifier } from './crypto/noble-verifier.js';
export {
  compressPublicKey,
  createSigner,
  generatePrivateKey,
  isValidPublicKey,
  privateKeyFromSeed,
  type Signer,
} from './crypto/signer.js';
export {
  bytesEqual,
  compareBytes,
  concatBytes,
  fromHex,
  HASH_LENGTH,
  ID_LENGTH,
  NONCE_LENGTH,
  toHex,
} from './ids/identifiers.js';
export {
  assertAmount,
  Currency,
  formatAmount,
  isSupportedCurrency,
  MAX_AMOUNT,
  Money,
  MoneyError,
  parseAmount,
} from './money/money.js';
export { CLA_ISO, CLA_PROPRIETARY, Ins, PURSE_AID, StatusWord, statusWordName } from './apdu/command-set.js';
export { type CardConnection, type CardTransport } from './transport/card-transport.js';
export { TransportError, TransportErrorCode } from './transport/transport-error.js';
export { MessageType } from './messages/message-type.js';
export { Limits } from './messages/limits.js';
export { openSigned, type Signed } from './messages/signed-message.js';
export {
  type CardLimits,
  cardLimitsMap,
  type CardProfile,
  type Certificate,
  decodeCertificate,
  encodeCertificate,
  readCardLimitFields,
  Role,
  ROLE_NAME,
  SIGNER_ROLE,
  type TerminalProfile,
} from './messages/certificate.js';
export { decodePayCommand, encodePayCommand, type PayCommand } from './messages/pay-command.js';
export {
  balanceBefore,
  type CardReceipt,
  decodeCardReceipt,
  encodeCardReceipt,
  GENESIS_HASH,
  type LoadReceipt,
  type PayReceipt,
} from './messages/card-receipt.js';
export {
  type CardChallenge,
  type CardPublicState,
  CardStatusFlag,
  decodeCardChallenge,
  decodeCardState,
  decodeSelectResponse,
  encodeCardChallenge,
  encodeCardState,
  encodeSelectResponse,
  type SelectResponse,
} from './messages/card-state.js';
export {
  decodeIssuerCommand,
  decodeLoadAuthorization,
  encodeIssuerCommand,
  encodeLoadAuthorization,
  IssuerAction,
  type IssuerCommand,
  type LoadAuthorization,
} from './messages/issuer-messages.js';
export { decodeDenyList, type DenyList, encodeDenyList } from './messages/deny-list.js';
export { decodeUploadBatch, encodeUploadBatch, type UploadBatch } from './messages/upload-batch.js';
export { decodeLoadRequest, encodeLoadRequest, type LoadRequest } from './messages/load-request.js';
export {
  type BatchResult,
  decodeBatchResult,
  encodeBatchResult,
  RECEIPT_STATUS_NAME,
  type ReceiptOutcome,
  ReceiptStatus,
} from './messages/batch-result.js';
export { decodeTrustAnchorBundle, encodeTrustAnchorBundle, type TrustAnchorBundle } from './messages/trust-anchors.js';
export {
  decodeDoubleSpendEvidence,
  type DoubleSpendEvidence,
  encodeDoubleSpendEvidence,
  EVIDENCE_KIND_NAME,
  EvidenceKind,
} from './messages/double-spend-evidence.js';
export { CheckId, fail, pass, type Verification } from './verify/check-id.js';
export { TrustStore, type VerifiedCertificate } from './verify/trust-store.js';
export { type PaymentExpectation, verifyCardReceipt, verifyPayReceipt } from './verify/verify-receipt.js';
export { verifyBatchResult, verifyDenyList } from './verify/verify-signed-by-acquirer.js';
export { type VerifiedBatch, verifyUploadBatch } from './verify/verify-upload-batch.js';
export { type VerifiedLoadRequest, verifyLoadRequest } from './verify/verify-load-request.js';
export { verifyTerminalSignature } from './verify/verify-terminal-signature.js';
export { type ProvenDoubleSpend, verifyDoubleSpendEvidence } from './verify/verify-double-spend-evidence.js';
export { formatKeyFile, type KeyFile, parseKeyFile } from './scheme/key-file.js';
export { issueCertificate } from './scheme/issue-certificate.js';
export { CBOR_CONTENT_TYPE, type EnrolmentRequest, LedgerApi } from './api/ledger-api.js';
export {
  type ApduCase,
  type ApduHeader,
  buildCommandApdu,
  type CommandApdu,
  type CommandApduParse,
  CommandApduProblem,
  MAX_SHORT_COMMAND_DATA,
  MAX_SHORT_NE,
  parseCommandApdu,
} from './apdu/command-apdu.js';
export {
  buildResponseApdu,
  MAX_SHORT_RESPONSE_DATA,
  parseResponseApdu,
  type ResponseApdu,
} from './apdu/response-apdu.js';
export { purseApdus } from './apdu/purse-commands.js';
export { openOrFail } from './verify/open-or-fail.js';
