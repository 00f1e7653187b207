/**
 * The layering, checked on every import specifier (static, dynamic, re-export) of every .ts file:
 * the agent stands alone (it ships to devices without the local cloud, the Lambdas or the
 * simulator), the simulator builds on the agent only, and the CLI reaches the local cloud through
 * local/public.ts alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface FolderRule {
  readonly folder: string;
  /** Top-level folders whose files it may import (its own is always allowed). */
  readonly mayImport: readonly string[];
  /** Files it may import from a folder it may not otherwise reach. */
  readonly alsoFiles?: readonly string[];
}

const RULES: readonly FolderRule[] = [
  { folder: 'agent', mayImport: ['protocol'] },
  { folder: 'simulator', mayImport: ['agent', 'protocol'] },
  {
    folder: 'cli',
    mayImport: ['agent', 'protocol', 'wiring', 'lambdas', 'lib'],
    alsoFiles: ['local/public.ts'],
  },
];

/** The repository path a specifier points at, or undefined for a package (`mqtt`, `node:fs`). */
function targetOf(fromFile: string, specifier: string): string | undefined {
  if (specifier.startsWith('#')) {
    const [alias, ...rest] = specifier.slice(1).split('/');
    return [alias, ...rest].join('/');
  }
  if (specifier.startsWith('.')) {
    return relative(ROOT, resolve(ROOT, dirname(fromFile), specifier))
      .split(sep)
      .join('/');
  }
  return undefined;
}

/** Every import the file names: `import`, `export … from`, `import()`. */
function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The imports in `source` (a file at `file`, relative to the root) that break `rule`. */
function violations(rule: FolderRule, file: string, source: string): string[] {
  return importSpecifiers(source).filter((specifier) => {
    const target = targetOf(file, specifier);
    if (target === undefined) return false;
    const top = target.split('/')[0] ?? '';
    if (top === rule.folder || rule.mayImport.includes(top)) return false;
    return !(rule.alsoFiles ?? []).includes(target);
  });
}

function tsFilesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

describe('layering', () => {
  for (const rule of RULES) {
    it(`${rule.folder}/ imports only from ${[...rule.mayImport, ...(rule.alsoFiles ?? [])].join(', ')}`, () => {
      const files = tsFilesUnder(rule.folder);
      expect(files.length).toBeGreaterThan(0);

      const broken = files.flatMap((file) =>
        violations(rule, file, readFileSync(join(ROOT, file), 'utf8')).map((s) => `${file}: ${s}`),
      );

      expect(broken).toEqual([]);
    });
  }

  it('sees a reach into local/ however it is written', () => {
    const agentRule = RULES[0] as FolderRule;
    const source = [
      "import { ensureDevCa } from '#local/dev-ca.ts';",
      "export { startBroker } from '../local/broker.ts';",
      "const ca = await import('../local/dev-ca.ts');",
      "import type { DevCa } from '#local/public.ts';",
      "import { topics } from '#protocol/topics.ts';",
      "import { connect } from 'mqtt';",
      "import { withTimeout } from './connection.ts';",
    ].join('\n');

    expect(violations(agentRule, 'agent/agent.ts', source)).toEqual([
      '#local/dev-ca.ts',
      '../local/broker.ts',
      '../local/dev-ca.ts',
      '#local/public.ts',
    ]);
  });

  it('lets the CLI use local/public.ts and nothing else of local/', () => {
    const cliRule = RULES[2] as FolderRule;
    const source = "import { ensureDevCa } from '#local/public.ts';\nimport { x } from '../local/dev-ca.ts';";

    expect(violations(cliRule, 'cli/register.ts', source)).toEqual(['../local/dev-ca.ts']);
  });

  it('keeps the simulator out of the agent', () => {
    const agentRule = RULES[0] as FolderRule;

    expect(
      violations(agentRule, 'agent/agent.ts', "import { simulatedHost } from '#simulator/host-probe.ts';"),
    ).toEqual(['#simulator/host-probe.ts']);
  });
});
