/**
 * Stands in for @aws-sdk/credential-provider-node in the Lambda bundles (lib/bundling.ts aliases it).
 * Lambda hands a function its execution role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, the first source the SDK's default chain tries; the
 * rest of that chain (profiles, SSO, STS web identity, process, IMDS) never runs in Lambda yet put
 * ~110 KB of nested STS/SSO clients into every bundle. Source runs (local cloud, tests) keep the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same name and call shape as the default chain that the SDK clients' runtime config imports. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> =>
  fromEnv(init);
