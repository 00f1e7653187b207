/**
 * The SQS/S3 emulator alone in a process (crash tests kill it; the benchmark measures it apart from
 * its clients):
 *   node --import tsx local/sqs-s3-process.ts <data dir>
 * Prints `{"endpoint": ...}` on one line once it listens on an ephemeral port of 127.0.0.1.
 */
import { startSqsS3 } from './sqs-s3.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: local/sqs-s3-process.ts <data dir>');
const emulator = await startSqsS3({ port: 0, region: 'eu-west-1', dir });
console.log(JSON.stringify({ endpoint: emulator.endpoint }));
process.once('SIGTERM', () => {
  void emulator.stop().then(() => process.exit(0));
});
