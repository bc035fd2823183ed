/** Shape of every file under test-vectors/ (modelled on Wycheproof). */
export interface VectorTest {
  readonly tcId: number;
  readonly comment: string;
  readonly result: 'valid' | 'invalid';
  /** For invalid cases: the stable error code or check id an implementation must report. */
  readonly error?: string;
  readonly [field: string]: unknown;
}

export interface VectorGroup {
  readonly type: string;
  readonly [field: string]: unknown;
  readonly tests: VectorTest[];
}

export interface VectorFile {
  readonly name: string;
  readonly description: string;
  readonly schema: Readonly<Record<string, string>>;
  readonly numberOfTests: number;
  readonly testGroups: VectorGroup[];
}

/** Numbers test cases across a file's groups, 1-based and stable (order of generation). */
export function vectorFile(
  name: string,
  description: string,
  schema: Record<string, string>,
  groups: { type: string; fields?: Record<string, unknown>; tests: Omit<VectorTest, 'tcId'>[] }[],
): VectorFile {
  let tcId = 0;
  const testGroups = groups.map((g) => ({
    type: g.type,
    ...(g.fields ?? {}),
    tests: g.tests.map((t) => ({ tcId: ++tcId, ...t }) as VectorTest),
  }));
  return { name, description, schema, numberOfTests: tcId, testGroups };
}

/** JSON with byte strings as lower-case hex, bigints as decimal strings, Maps as objects. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v)]));
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value;
}
