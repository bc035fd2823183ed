/**
 * One figure printed by `pnpm bench`. Every package's bench module exports
 * `run(): Promise<BenchRow[]>`; scripts/bench.ts runs them all and prints one table + JSON.
 */
export interface BenchRow {
  /** Section, e.g. 'core', 'card', 'pcsc', 'terminal', 'ledger'. */
  readonly section: string;
  /** What was measured, e.g. 'ES256 verify (node:crypto, cached key)'. */
  readonly name: string;
  readonly value: number;
  /** Unit, e.g. 'ops/s', 'bytes', 'ms', 'MiB'. */
  readonly unit: string;
  /** The limit or peer figure this is compared against, where one exists. */
  readonly limit?: { readonly name: string; readonly value: number };
  /** value / limit.value, where a limit exists. */
  readonly ratio?: number;
  readonly note?: string;
}
