// Node-only additions to @ehkd/core (node:crypto and node:fs built-ins; still no native addons).
export * from './node/node-verifier.js';
export * from './node/durable-file.js';
