/**
 * Entry of a local cloud run in a child process (see child-cloud.ts): starts it with the options
 * given as JSON in argv[2], prints its endpoints as one JSON line, and runs until killed.
 * With `throwOn`, the heartbeat handler throws a transient error for payloads containing that text
 * (the "handler throwing" fault), and runs the real handler otherwise.
 */
import type { Context } from 'aws-lambda';
import { startLocalCloud } from '#local/cloud.ts';
import type { RuleEvent } from '#wiring/rule-event.ts';

interface ChildCloudArgs {
  readonly dataDir: string;
  readonly ports: { mqtt: number; api: number; dynamodb: number; sqsS3: number; iotData: number };
  readonly throwOn?: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildCloudArgs;
const throwOn = args.throwOn;
const cloud = await startLocalCloud({
  dataDir: args.dataDir,
  ports: args.ports,
  log: 'silent',
  ruleRetryDelaysMs: [50, 50],
  queueVisibilityTimeoutSec: 2,
  ...(throwOn
    ? {
        handlersOverride: {
          heartbeat: async (event: RuleEvent, context: Context) => {
            if (Buffer.from(event.payload, 'base64').toString().includes(throwOn)) {
              throw new Error(`injected fault: ${throwOn}`);
            }
            const real = await import('#lambdas/heartbeat.ts');
            return real.handler(event as never, context);
          },
        },
      }
    : {}),
});
process.stdout.write(`${JSON.stringify({ endpoints: cloud.endpoints, ca: cloud.ca.certPem })}\n`);
process.on('SIGTERM', () => {
  void cloud.stop().then(() => process.exit(0));
});
