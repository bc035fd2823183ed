/**
 * The public surface of @ehkd/pcsc is deliberate: each entry point of its exports map exports exactly these runtime names
 * (types are checked by the typecheck). A change here is a change of the package's API, made on purpose.
 */
import { describe, expect, it } from 'vitest';

const SURFACE: Readonly<Record<string, readonly string[]>> = {
  '@ehkd/pcsc': [
    'MAX_CHAINED_RESPONSE_BYTES',
    'PcscCardConnection',
    'PcscCode',
    'PcscReaderManager',
    'PcscTransport',
    'exchangeApdu',
    'isPcscdListening',
    'openPcsc',
    'openPcscTransport',
    'pcscCodeOf',
    'pcscdSocketPath',
    'toTransportError',
  ],
};

describe('the public surface of @ehkd/pcsc', () => {
  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its list`, async () => {
      expect(Object.keys((await import(entry)) as Record<string, unknown>).sort()).toEqual([...names].sort());
    });
  }
});
