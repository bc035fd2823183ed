import { execFile } from 'node:child_process';

/** Debian's interpreter: pyscard (python3-pyscard) is installed for it, not for another python3 on PATH. */
const PYTHON = '/usr/bin/python3';

/**
 * Connects to `reader` through pcscd with pyscard (waiting up to 10 s for a card), sends each C-APDU in
 * order and prints one line per answer: the R-APDU in hex, or "ERROR <exception> <message>" after which it stops.
 */
const SCRIPT = `
import sys, time
from smartcard.System import readers
name, apdus = sys.argv[1], sys.argv[2:]
deadline = time.monotonic() + 10
while True:
    try:
        reader = next(r for r in readers() if str(r) == name)
        conn = reader.createConnection()
        conn.connect()
        break
    except Exception as e:
        if time.monotonic() > deadline:
            print("NOCARD", type(e).__name__, e)
            sys.exit(3)
        time.sleep(0.05)
for apdu in apdus:
    try:
        data, sw1, sw2 = conn.transmit(list(bytes.fromhex(apdu)))
        print(bytes(data + [sw1, sw2]).hex(), flush=True)
    except Exception as e:
        print("ERROR", type(e).__name__, str(e).replace("\\n", " "), flush=True)
        break
`;

/** One line per APDU sent: the R-APDU's hex, or 'ERROR <exception> <message>' (then no more lines). */
export function pyscardExchange(reader: string, apdus: readonly Uint8Array[]): Promise<string[]> {
  const args = ['-c', SCRIPT, reader, ...apdus.map((a) => Buffer.from(a).toString('hex'))];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const lines = stdout
        .trim()
        .split('\n')
        .filter((l) => l.length > 0);
      if (error !== null && lines.length === 0) reject(new Error(`pyscard failed: ${stderr || error.message}`));
      else if (lines[0]?.startsWith('NOCARD')) reject(new Error(`pyscard saw no card in '${reader}': ${lines[0]}`));
      else resolve(lines);
    });
  });
}
