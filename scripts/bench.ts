/**
 * pnpm bench [section...]: runs every benchmark section, prints one table (figure, limit or peer, ratio) and
 * writes bench-results/latest.json. Measures and prints; asserts nothing.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchRow } from '@ehkd/bench-kit';

const root = join(import.meta.dirname, '..');
const SECTIONS: [string, string][] = [
  ['core', 'packages/core/bench/core.bench.ts'],
  ['card', 'card-sim/bench/card.bench.ts'],
  ['pcsc', 'packages/pcsc/bench/pcsc.bench.ts'],
  ['terminal', 'terminal/bench/terminal.bench.ts'],
  ['ledger', 'packages/ledger/bench/ledger.bench.ts'],
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

const wanted = process.argv.slice(2);
const rows: BenchRow[] = [];
const skipped: string[] = [];
for (const [name, file] of SECTIONS) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const path = join(root, file);
  if (!existsSync(path)) {
    skipped.push(`${name}: ${file} does not exist`);
    continue;
  }
  process.stderr.write(`bench: ${name}...\n`);
  const mod = (await import(pathToFileURL(path).href)) as { run: () => Promise<BenchRow[]> };
  try {
    rows.push(...(await mod.run()));
  } catch (e) {
    skipped.push(`${name}: failed: ${(e as Error).message}`);
  }
}

const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const header = ['section', 'figure', 'value', 'unit', 'limit or peer', 'ratio'];
const table = rows.map((r) => [
  r.section,
  r.name,
  fmt(r.value),
  r.unit,
  r.limit ? `${fmt(r.limit.value)} (${r.limit.name})` : '',
  r.ratio !== undefined ? (r.ratio < 0.01 ? r.ratio.toPrecision(2) : r.ratio.toFixed(2)) : '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => (t[i] ?? '').length)));
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => (i === 2 || i === 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
console.log(`Measured on ${machine}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(line(header));
console.log(`|${widths.map((w, i) => (i === 2 || i === 5 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
for (const t of table) console.log(line(t));
for (const n of rows.filter((r) => r.note)) console.log(`\n- ${n.section} / ${n.name}: ${n.note}`);
for (const s of skipped) console.log(`\nnot measured: ${s}`);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results', 'latest.json'),
  `${JSON.stringify({ machine, date: new Date().toISOString(), rows, skipped }, null, 2)}\n`,
);
