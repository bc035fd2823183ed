#!/usr/bin/env node
// Runs the built CLI (dist/, from `pnpm build`): no TypeScript loader at run time.
await import('../dist/cli/main.js');
