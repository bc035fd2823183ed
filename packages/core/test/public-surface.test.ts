/**
 * The public surface of @ehkd/core is deliberate: each entry point of its exports map exports exactly these runtime names
 * (types are checked by the typecheck). A change here is a change of the package's API, made on purpose.
 */
import { describe, expect, it } from 'vitest';

const SURFACE: Readonly<Record<string, readonly string[]>> = {
  '@ehkd/core': [
    'CborCursor', 'CBOR_CONTENT_TYPE', 'CLA_ISO', 'CLA_PROPRIETARY', 'COSE_SIGN1_TAG', 'CardStatusFlag', 'CborError',
    'CborErrorCode', 'CborTag', 'CheckId', 'CodecError', 'CodecErrorCode', 'CommandApduProblem', 'CoseError',
    'CoseErrorCode', 'Currency', 'ES256_PROTECTED_HEADER', 'ES256_SIGNATURE_LENGTH', 'EVIDENCE_KIND_NAME',
    'EhkdError', 'EvidenceKind', 'GENESIS_HASH', 'HASH_LENGTH', 'ID_LENGTH', 'Ins', 'IssuerAction', 'LedgerApi',
    'Limits', 'MAX_AMOUNT', 'MAX_SHORT_COMMAND_DATA', 'MAX_SHORT_NE', 'MAX_SHORT_RESPONSE_DATA', 'MapReader',
    'MessageType', 'Money', 'MoneyError', 'NONCE_LENGTH', 'P256_COMPRESSED_KEY_LENGTH', 'PURSE_AID',
    'RECEIPT_STATUS_NAME', 'ROLE_NAME', 'ReceiptStatus', 'Role', 'SIGNER_ROLE', 'StatusWord', 'TransportError',
    'TransportErrorCode', 'TrustStore', 'assertAmount', 'balanceBefore', 'buildCommandApdu', 'buildResponseApdu',
    'bytesEqual', 'cardLimitsMap', 'checkBytes', 'checkTag', 'compareBytes', 'compressPublicKey', 'concatBytes',
    'coseSigStructure', 'createSigner', 'decodeBatchResult', 'decodeCardChallenge', 'decodeCardReceipt',
    'decodeCardState', 'decodeCbor', 'decodeCertificate', 'decodeCoseSign1', 'decodeDenyList',
    'decodeDoubleSpendEvidence', 'decodeIssuerCommand', 'decodeLoadAuthorization', 'decodeLoadRequest',
    'decodePayCommand', 'decodeSelectResponse', 'decodeTrustAnchorBundle', 'decodeUploadBatch', 'encodeBatchResult',
    'encodeCardChallenge', 'encodeCardReceipt', 'encodeCardState', 'encodeCbor', 'encodeCertificate',
    'encodeDenyList', 'encodeDoubleSpendEvidence', 'encodeIssuerCommand', 'encodeLoadAuthorization',
    'encodeLoadRequest', 'encodePayCommand', 'encodeSelectResponse', 'encodeTrustAnchorBundle', 'encodeUploadBatch',
    'fail', 'formatAmount', 'formatKeyFile', 'fromHex', 'generatePrivateKey', 'isSupportedCurrency',
    'isValidPublicKey', 'issueCertificate', 'nobleVerifier', 'openOrFail', 'openSigned', 'parseAmount',
    'parseCommandApdu', 'parseKeyFile', 'parseResponseApdu', 'pass', 'payloadId', 'privateKeyFromSeed', 'purseApdus',
    'readCardLimitFields', 'sha256', 'signCoseSign1', 'statusWordName', 'toHex', 'truncateUtf8', 'utf8Length',
    'verifyBatchResult', 'verifyCardReceipt', 'verifyCoseSign1', 'verifyDenyList', 'verifyDoubleSpendEvidence',
    'verifyLoadRequest', 'verifyPayReceipt', 'verifyTerminalSignature', 'verifyUploadBatch',
  ],
  '@ehkd/core/node': [
    'DurableWriteStep', 'GROUP_OTHER_BITS', 'createNodeVerifier', 'createPrivateFile', 'ensurePrivateDirectory',
    'exposedMode', 'writeFileDurably',
  ],
  '@ehkd/core/testing': [
    'DEV_VALIDITY', 'DevCardChain', 'certifyLeaf', 'createDevScheme', 'devCard', 'devId', 'devTerminal',
  ],
};

describe('the public surface of @ehkd/core', () => {
  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its list`, async () => {
      expect(Object.keys((await import(entry)) as Record<string, unknown>).sort()).toEqual([...names].sort());
    });
  }
});
