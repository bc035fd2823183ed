/**
 * Value of key 0 in every signed payload (and some unsigned messages). A signature over one message
 * type can never be replayed as another (cross-protocol confusion), because every decoder checks it.
 */
export const MessageType = {
  Certificate: 1,
  PayReceipt: 2,
  LoadReceipt: 3,
  LoadAuthorization: 4,
  IssuerCommand: 5,
  DenyList: 6,
  UploadBatch: 7,
  BatchResult: 8,
  TrustAnchors: 9,
  DoubleSpendEvidence: 10,
  LoadRequest: 11,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
