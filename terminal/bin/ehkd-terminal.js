#!/usr/bin/env node
// The workspace ships TypeScript sources: run the CLI through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
