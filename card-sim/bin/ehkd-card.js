#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx's ESM loader is registered in this process,
// so signals, stdin and the exit code belong to the CLI itself (no child process in between).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
