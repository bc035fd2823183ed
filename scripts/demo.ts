/**
 * pnpm demo [--pcsc] [--keep]: the whole offline story, narrated. Exits non-zero if anything did not come out as
 * narrated. --pcsc runs every tap through pcscd and vpcd (installed and started by scripts/pcsc-stack.sh; root).
 */
import { runDemo } from './demo/story.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--pcsc' && a !== '--keep');
if (unknown.length > 0) {
  console.error(`usage: pnpm demo [--pcsc] [--keep]   (unknown: ${unknown.join(' ')})`);
  process.exit(64);
}
console.log('e-HKD offline payments: the whole story, end to end');
const outcome = await runDemo({ pcsc: args.includes('--pcsc'), keep: args.includes('--keep') });
const failed = outcome.checks.filter((c) => !c.ok);
console.log(`\n${outcome.checks.length - failed.length} of ${outcome.checks.length} expectations held.`);
for (const f of failed) console.log(`  FAILED ${f.id}: ${f.what}${f.detail === undefined ? '' : ` (${f.detail})`}`);
process.exit(outcome.ok ? 0 : 1);
