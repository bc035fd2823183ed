#!/usr/bin/env -S node --max-semi-space-size=1
// Runs the built CLI (dist/, from `pnpm build`): no TypeScript loader at run time. A POS box has little memory and
// a tap allocates little, so V8's young generation is kept small (1 MiB semi-spaces): ~65 MiB resident instead of
// ~80 after 200 taps (pnpm bench, terminal section), for scavenges that stay well under a millisecond.
await import('../dist/cli/main.js');
