/** The DynamoDB client of this execution environment, created once. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { requestHandler } from './request-handler.ts';

export const dynamodb = new DynamoDBClient({ requestHandler });
export const ddb = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
});
