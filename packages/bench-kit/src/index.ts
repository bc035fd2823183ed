// The benchmark kit of the workspace (private, never shipped): the row every `pnpm bench` section returns, and the
// measuring helpers they share, so that no package's benchmark imports another package's or the scripts'.
export type { BenchRow } from './bench-row.js';
export { opsPerSecond, percentile } from './measure.js';
