import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a TypeScript module. This package ships TypeScript sources run by tsx, and on
 * Node 20 `new Worker(url, { execArgv: ['--import', 'tsx'] })` fails with ERR_UNKNOWN_FILE_EXTENSION (the loader
 * hooks are not in place when the worker loads its entry). So the worker starts from a tiny evaluated bootstrap
 * that registers tsx's ESM hooks in the worker and then imports the module; this works under tsx, under the
 * `ehkd-ledger` bin and under vitest. A compiled `.js` module is started directly.
 * @example spawnTsWorker(new URL('./verify-worker.ts', import.meta.url), { workerData })
 */
export function spawnTsWorker(module: URL, options: { workerData?: unknown } = {}): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(module.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
