#!/usr/bin/env node
// The package ships TypeScript; tsx compiles it on the fly (the same way the verification workers start).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
await runCli(process.argv);
