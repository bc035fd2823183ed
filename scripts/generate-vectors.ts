/**
 * Generates test-vectors/*.json from fixed seeds (deterministic: RFC 6979 signatures, fixed times).
 *   pnpm vectors          writes the files
 *   pnpm vectors:check    regenerates in memory and fails on any byte of difference (CI)
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cborVectors } from './vectors/cbor-vectors.js';
import { coseVectors } from './vectors/signature-vectors.js';
import { messageVectors } from './vectors/message-vectors.js';
import { verificationVectors } from './vectors/verification-vectors.js';

const dir = join(import.meta.dirname, '..', 'test-vectors');
const check = process.argv.includes('--check');
const files = [cborVectors(), coseVectors(), messageVectors(), verificationVectors()];
let stale = 0;
mkdirSync(dir, { recursive: true });
for (const f of files) {
  const path = join(dir, `${f.name}.json`);
  const text = `${JSON.stringify(f, null, 2)}\n`;
  if (check) {
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      // missing file counts as stale
    }
    if (old !== text) {
      stale++;
      console.error(`stale: ${path} differs from what the generator produces`);
    }
  } else {
    writeFileSync(path, text);
  }
  console.log(`${f.name}.json: ${f.numberOfTests} tests`);
}
if (stale > 0) {
  console.error(`${stale} vector file(s) are stale: run 'pnpm vectors' and commit`);
  process.exit(1);
}
