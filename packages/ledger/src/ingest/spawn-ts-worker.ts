import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on a module. The built package (dist/) starts its compiled `.js` worker directly: no
 * loader at run time. Only the sources, as tests and development scripts run them, start a `.ts` module: on
 * Node 20 `new Worker(url, { execArgv: ['--import', 'tsx'] })` fails with ERR_UNKNOWN_FILE_EXTENSION (the loader
 * hooks are not in place when the worker loads its entry), so such a worker starts from a tiny evaluated
 * bootstrap that registers tsx's ESM hooks (a development dependency of the workspace) and then imports it.
 * @example spawnTsWorker(new URL('./verify-worker.js', import.meta.url), { workerData })
 */
export function spawnTsWorker(module: URL, options: { workerData?: unknown } = {}): Worker {
  if (!module.pathname.endsWith('.ts')) return new Worker(module, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(module.href)}); });`;
  // The sources import the workspace packages from their sources too (the exports maps' 'source' condition).
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [...process.execArgv, '--conditions=source'] });
}
