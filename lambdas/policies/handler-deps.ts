/** PolicyDeps from the shared, module-scope DynamoDB client, for the handlers. */
import { ddb } from '#lambdas/commons/aws/dynamodb.ts';
import { numberFromEnv, resourceNames } from '#lambdas/commons/env.ts';
import { HeadCache, type PolicyDeps } from './effective.ts';

export const DEFAULT_HEAD_CACHE_SEC = 15;

/** Built per call so a handler needs the env vars only when it touches policies. */
export function policyDeps(options: { headCache?: HeadCache } = {}): PolicyDeps {
  return {
    ddb,
    policiesTable: resourceNames.table('policies'),
    devicesTable: resourceNames.table('devices'),
    ...(options.headCache ? { headCache: options.headCache } : {}),
  };
}

let reactionCache: HeadCache | undefined;
/** The heartbeat reaction's head cache, one per execution environment. */
export function reactionHeadCache(): HeadCache {
  reactionCache ??= new HeadCache(numberFromEnv('POLICY_HEAD_CACHE_SEC', DEFAULT_HEAD_CACHE_SEC) * 1000);
  return reactionCache;
}
