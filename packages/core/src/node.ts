// Node-only additions to @ehkd/core (node:crypto and node:fs built-ins; still no native addons).
export { createNodeVerifier, type NodeVerifier } from './node/node-verifier.js';
export { createPrivateFile, ensurePrivateDirectory, exposedMode, GROUP_OTHER_BITS } from './node/private-files.js';
export { DurableWriteStep, writeFileDurably, type DurableWriteOptions } from './node/durable-file.js';
