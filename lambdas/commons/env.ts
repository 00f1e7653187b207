import type { BucketName, QueueName, TableName } from '#wiring/fleet.ts';
import { resourceEnvVar } from '#wiring/resources.ts';

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/**
 * Resource names are read lazily: a handler that does not touch a resource need not have it bound.
 * The variable is derived from the wiring name (wiring/resources.ts resourceEnvVar), not looked up in
 * the composed wiring, so a handler's bundle does not carry every feature's declarations.
 */
export const resourceNames = {
  table: (name: TableName): string => requireEnv(resourceEnvVar('table', name)),
  bucket: (name: BucketName): string => requireEnv(resourceEnvVar('bucket', name)),
  queueUrl: (name: QueueName): string => requireEnv(resourceEnvVar('queue', name)),
};

export function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new ConfigurationError(`environment variable ${name} is not a number: ${raw}`);
  return value;
}
