/** The S3 client of this execution environment, created once. */
import { S3Client } from '@aws-sdk/client-s3';
import { requestHandler } from './request-handler.ts';

export const s3 = new S3Client({
  forcePathStyle: process.env.FLEETPULSE_S3_PATH_STYLE === 'true',
  requestHandler,
});
