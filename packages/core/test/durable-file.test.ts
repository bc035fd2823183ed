import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableWriteStep, writeFileDurably } from '../src/node.js';

const root = mkdtempSync(join(tmpdir(), 'ehkd-durable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (): string => mkdtempSync(join(root, `d${n++}-`));

/** A failure injected between writing the temporary file and putting it in place (a cut between the steps). */
const cutBeforeRename = {
  onStep: (step: DurableWriteStep): void => {
    if (step === DurableWriteStep.TempWritten)
      throw Object.assign(new Error('injected: no space left on device'), { code: 'ENOSPC' });
  },
};

describe('writeFileDurably', () => {
  it('writes the whole content, with the mode asked, and leaves nothing beside it', () => {
    const d = dir();
    writeFileDurably(join(d, 'key.json'), '{"role":"root"}\n', { mode: 0o600, exclusive: true });
    expect(readFileSync(join(d, 'key.json'), 'utf8')).toBe('{"role":"root"}\n');
    expect(statSync(join(d, 'key.json')).mode & 0o777).toBe(0o600);
    writeFileDurably(join(d, 'result.cbor'), Uint8Array.of(1, 2, 3));
    writeFileDurably(join(d, 'result.cbor'), Uint8Array.of(4, 5));
    expect([...readFileSync(join(d, 'result.cbor'))]).toEqual([4, 5]);
    expect(readdirSync(d).sort()).toEqual(['key.json', 'result.cbor']);
  });

  it('a failure between write and rename leaves the old file whole, or no file, and no temporary file', () => {
    const d = dir();
    const file = join(d, 'result.cbor');
    writeFileSync(file, 'the old, complete result');
    expect(() => writeFileDurably(file, 'a new result that never lands', cutBeforeRename)).toThrow(/injected/);
    expect(readFileSync(file, 'utf8')).toBe('the old, complete result');
    expect(() => writeFileDurably(join(d, 'new.cbor'), 'never lands', { ...cutBeforeRename, exclusive: true })).toThrow(
      /injected/,
    );
    expect(existsSync(join(d, 'new.cbor'))).toBe(false);
    expect(readdirSync(d)).toEqual(['result.cbor']);
  });

  it('exclusive never replaces a file that exists', () => {
    const d = dir();
    const file = join(d, 'root.key.json');
    writeFileSync(file, "the operator's root key");
    expect(() => writeFileDurably(file, 'another key', { exclusive: true })).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    expect(readFileSync(file, 'utf8')).toBe("the operator's root key");
    expect(readdirSync(d)).toEqual(['root.key.json']);
  });

  it('a process killed (SIGKILL) between write and rename leaves the old file whole', () => {
    const d = dir();
    const file = join(d, 'result.cbor');
    writeFileSync(file, 'old');
    const helper = fileURLToPath(new URL('../src/node/durable-file.ts', import.meta.url));
    const script = `import { writeFileDurably } from ${JSON.stringify(helper)};
      writeFileDurably(${JSON.stringify(file)}, 'x'.repeat(100000), { onStep: () => process.kill(process.pid, 'SIGKILL') });`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(run.signal).toBe('SIGKILL');
    expect(readFileSync(file, 'utf8')).toBe('old');
    // What the kill leaves is a complete temporary file beside it, never a cut-short target.
    const left = readdirSync(d).filter((f) => f !== 'result.cbor');
    expect(left).toEqual([expect.stringMatching(/^\.result\.cbor\.[0-9a-f]{12}\.tmp$/)]);
    expect(statSync(join(d, left[0]!)).size).toBe(100_000);
  });
});
