// Node-only additions to @ehkd/core (node:crypto built-in; still no native addons).
export * from './node/node-verifier.js';
