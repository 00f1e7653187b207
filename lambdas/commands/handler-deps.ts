/** The commands feature's dependencies as handlers build them: module-scope clients, lazy names. */
import { ddb } from '../commons/aws/dynamodb.ts';
import { sqs } from '../commons/aws/sqs.ts';
import { resourceNames } from '../commons/env.ts';
import type { CommandsDeps } from './store.ts';

export function commandsDeps(): CommandsDeps {
  return {
    ddb,
    table: resourceNames.table('commands'),
    sqs,
    queueUrl: (queue) => resourceNames.queueUrl(queue),
  };
}
