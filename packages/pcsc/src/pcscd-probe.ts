import { connect } from 'node:net';

/** Where libpcsclite finds pcscd: `PCSCLITE_CSOCK_NAME` if set, else pcsc-lite's default. */
export function pcscdSocketPath(): string {
  return process.env['PCSCLITE_CSOCK_NAME'] ?? '/run/pcscd/pcscd.comm';
}

/**
 * Whether pcscd accepts connections on its socket, without touching libpcsclite.
 *
 * Why not simply create an nfc-pcsc `NFC`: @pokusew/pcsclite's constructor retries
 * SCardEstablishContext in a busy loop on the main thread while the service is missing, so
 * creating one with pcscd stopped would freeze the whole process until pcscd returns.
 * Only Linux has the socket; elsewhere the service is assumed present.
 *
 * @example
 * if (await isPcscdListening()) nfc = new NFC();
 */
export function isPcscdListening(path: string = pcscdSocketPath(), timeoutMs = 500): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(true);
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (listening: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(listening);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
