/**
 * The spec names code: file paths and identifiers in backticks. This check resolves every one of them against the
 * tree, so that docs/protocol.md cannot drift from the code it describes: a path (from the repository root) must
 * exist, and an identifier (a name with an inner upper-case letter or an underscore, as code names are written)
 * must occur in the sources, or be a rule of the spec's own CDDL, a test-vector group, or a name of the other
 * specifications it cites. Run by the README's test command (`pnpm spec:check`); prints what does not resolve and exits 1.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const SPEC = join(root, 'docs', 'protocol.md');
const SOURCES = ['packages', 'card-sim', 'terminal', 'scripts'];

/** Every .ts source file of the workspace (no dist, no node_modules). */
function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') || name.endsWith('.sh') || name.endsWith('.c')) out.push(path);
  }
  return out;
}

const files = new Map(SOURCES.flatMap((d) => sources(join(root, d))).map((f) => [f, readFileSync(f, 'utf8')] as const));
const code = [...files.values()].join('\n');
const words = new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);

const spec = readFileSync(SPEC, 'utf8');
// Names the spec defines itself (its CDDL rules) and the vector files' test groups are names too.
for (const block of spec.matchAll(/```cddl\n([\s\S]*?)```/g))
  for (const m of (block[1] as string).matchAll(/^([A-Za-z][\w-]*)\s*=/gm)) words.add(m[1] as string);
for (const file of readdirSync(join(root, 'test-vectors')).filter((f) => f.endsWith('.json'))) {
  for (const m of readFileSync(join(root, 'test-vectors', file), 'utf8').matchAll(/"type":\s*"(\w+)"/g))
    words.add(m[1] as string);
}
/** Names of other specifications the spec refers to (RFC 9052, Java Card): not ours to declare. */
const EXTERNAL = [
  'COSE_Sign1_Tagged',
  'Sig_structure',
  'Signature',
  'ALG_ECDSA_SHA_256',
  'JCint',
  'JCSystem',
  'beginTransaction',
  'commitTransaction',
  'TransactionException',
];
for (const name of EXTERNAL) words.add(name);

const problems: string[] = [];
const seen = new Set<string>();
for (const m of spec.matchAll(/`([^`\n]+)`/g)) {
  const token = (m[1] as string).trim();
  if (seen.has(token)) continue;
  seen.add(token);
  const line = spec.slice(0, m.index).split('\n').length;
  // A repository path: has a slash and a file extension or names a known top-level directory.
  if (
    /^[\w.-]+(\/[\w.-]+)+$/.test(token) &&
    /\.(ts|md|json|sh|c|mjs)$|^(packages|card-sim|terminal|scripts|docs|test-vectors)\//.test(token)
  ) {
    if (!existsSync(join(root, token))) problems.push(`docs/protocol.md:${line}: path \`${token}\` does not exist`);
    continue;
  }
  // A code identifier, possibly qualified (`TrustStore.verifyLeaf`) or called (`verifyCardReceipt(...)`).
  const name = token.replace(/\(.*\)$/, '');
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(name)) continue;
  const parts = name.split('.');
  const codeLike = parts.some((p) => /[A-Z]/.test(p.slice(1)) || p.includes('_') || /^[A-Z][a-z]+[A-Z]/.test(p));
  if (!codeLike || name.length < 4) continue;
  const missing = parts.filter((p) => !words.has(p));
  if (missing.length > 0)
    problems.push(
      `docs/protocol.md:${line}: \`${token}\` names ${missing.join(', ')}, which neither the sources nor the spec's CDDL define`,
    );
}
// Numbered requirements ([R7]) and the tests that cite them (`spec R7`): each number has a test, each citation a number.
const requirements = new Set([...spec.matchAll(/\*\*\[R(\d+)\]\*\*/g)].map((r) => Number(r[1])));
const cited = new Map<number, string[]>();
for (const [file, text] of files) {
  if (!file.endsWith('.test.ts')) continue;
  // A citation line: `spec R8 (...) and R9 (...)` cites every R-number on it.
  for (const line of text.split('\n').filter((l) => /\bspec R\d+/.test(l))) {
    for (const [, n] of line.matchAll(/\bR(\d+)\b/g)) {
      const list = cited.get(Number(n)) ?? [];
      list.push(relative(root, file));
      cited.set(Number(n), list);
    }
  }
}
for (const n of requirements)
  if (!cited.has(n)) problems.push(`docs/protocol.md: requirement R${n} is cited by no test`);
for (const [n, files] of cited)
  if (!requirements.has(n)) problems.push(`${files[0]}: cites spec R${n}, which docs/protocol.md does not define`);
if (problems.length > 0) {
  process.stderr.write(
    `${problems.join('\n')}\n${problems.length} reference(s) of the spec do not resolve (${relative(root, SPEC)}).\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `spec references: ${seen.size} code spans checked, every path and identifier resolves; ${requirements.size} numbered requirements, each cited by a test\n`,
);
