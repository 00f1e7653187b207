/**
 * The policy the agent runs: built-in defaults (version 0) until the cloud sends one, then the
 * last applied document, persisted in `<dataDir>/policy.json` so a restart keeps it.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type PolicyDocument, PolicyDocumentSchema } from '#protocol/policy.ts';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import { errorMessage } from '../logger.ts';
import type { AgentLogger } from '../module.ts';

export const DEFAULT_POLICY: PolicyDocument = PolicyDocumentSchema.parse({ version: 0 });

export type ApplyOutcome = 'applied' | 'unchanged' | 'older';

export class PolicyStore {
  private constructor(
    private readonly file: string,
    private policy: PolicyDocument,
  ) {}

  static async load(dataDir: string, logger: AgentLogger): Promise<PolicyStore> {
    const file = join(dataDir, 'policy.json');
    let policy = DEFAULT_POLICY;
    try {
      const parsed = PolicyDocumentSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (parsed.success) policy = parsed.data;
      else
        logger.warn('stored policy is invalid; using built-in defaults', {
          file,
          error: formatZodIssues(parsed.error),
        });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn('cannot read stored policy; using built-in defaults', { file, error: errorMessage(err) });
      }
    }
    return new PolicyStore(file, policy);
  }

  current(): PolicyDocument {
    return this.policy;
  }

  /**
   * Persists then adopts `next`. An older version (a late, reordered delivery) never replaces a newer
   * one; the same version is a no-op.
   */
  async apply(next: PolicyDocument): Promise<ApplyOutcome> {
    if (next.version < this.policy.version) return 'older';
    if (next.version === this.policy.version && JSON.stringify(next) === JSON.stringify(this.policy)) {
      return 'unchanged';
    }
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(next, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
    this.policy = next;
    return 'applied';
  }
}
