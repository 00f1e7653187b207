#!/usr/bin/env node
// Runs cli/fleetpulse.ts through tsx's ESM loader, so the CLI needs no build step after npm ci.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/fleetpulse.ts');
