/**
 * The SQS/S3 emulator alone in a process, for tests that kill it (crash consistency):
 *   node --import tsx test/support/sqs-s3-process.ts <data dir>
 * Prints `{"endpoint": ...}` on one line once it listens.
 */
import { startSqsS3 } from '#local/sqs-s3.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: sqs-s3-process.ts <data dir>');
const emulator = await startSqsS3({ port: 0, region: 'eu-west-1', dir });
console.log(JSON.stringify({ endpoint: emulator.endpoint }));
process.once('SIGTERM', () => {
  void emulator.stop().then(() => process.exit(0));
});
