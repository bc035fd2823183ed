#!/usr/bin/env node
// Runs the built CLI (dist/, from `pnpm build`) in this process, so signals, stdin and the exit code are the CLI's own.
await import('../dist/cli/main.js');
