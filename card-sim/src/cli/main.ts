/** Entry point of the `ehkd-card` command (bin/ehkd-card.js runs its build, dist/cli.js). */
import { runCardCli } from './card-cli.js';

process.exitCode = await runCardCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  stdin: process.stdin,
  handleSignals: true,
});
