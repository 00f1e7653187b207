import { createRequire } from 'node:module';

/** The agent reports the package version it was built from. */
export const AGENT_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
