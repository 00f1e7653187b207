import { type BucketName, buckets, type QueueName, queues, type TableName, tables } from '#wiring/fleet.ts';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/** Resource names are read lazily: a handler that does not touch a resource need not have it bound. */
export const resourceNames = {
  table: (name: TableName): string => requireEnv(tables[name].envVar),
  bucket: (name: BucketName): string => requireEnv(buckets[name].envVar),
  queueUrl: (name: QueueName): string => requireEnv(queues[name].envVar),
};

export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new ConfigurationError(`environment variable ${name} is not a number: ${raw}`);
  return value;
}
