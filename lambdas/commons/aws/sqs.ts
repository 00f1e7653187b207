/** The SQS client of this execution environment, created once. */
import { SQSClient } from '@aws-sdk/client-sqs';
import { requestHandler } from './request-handler.ts';

// Queue URLs carry their own host; using the configured endpoint keeps local emulators reachable.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler });
