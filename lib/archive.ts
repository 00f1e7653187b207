/**
 * Archive: one S3 bucket per `buckets` entry of the wiring (wiring/fleet.ts) for raw reports and analyzer
 * batches, plus the bucket their server access logs go to. Private, TLS-only, encrypted, versioned
 * (keys are deterministic, so a retried delivery overwrites: versioning keeps the overwritten copy).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BucketSpec } from '#wiring/resources.ts';
import { pascal } from './names.ts';

export interface ArchiveProps {
  /** Buckets to create, by wiring name. */
  readonly buckets: Readonly<Record<string, BucketSpec>>;
  /**
   * Bucket that receives the server access logs.
   * @default - a new private bucket, logs kept 365 days
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * What happens to the archive buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** S3 refuses a transition to STANDARD_IA earlier than 30 days after creation. */
const MIN_INFREQUENT_ACCESS_DAYS = 30;
const ACCESS_LOG_RETENTION_DAYS = 365;

export class Archive extends Construct {
  /** The archive buckets, by wiring name. */
  readonly buckets: Readonly<Record<string, IBucket>>;
  /** Where server access logs of the archive buckets go. */
  readonly serverAccessLogsBucket: IBucket;

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.serverAccessLogsBucket = props.serverAccessLogsBucket ?? this.createLogsBucket(removalPolicy);

    const buckets: Record<string, IBucket> = {};
    for (const [name, spec] of Object.entries(props.buckets)) {
      validateBucketSpec(name, spec);
      buckets[name] = new Bucket(this, pascal(name), {
        ...privateBucketDefaults,
        versioned: true,
        serverAccessLogsBucket: this.serverAccessLogsBucket,
        serverAccessLogsPrefix: `${name}/`,
        lifecycleRules: [
          {
            id: 'tier-then-expire',
            transitions: [
              {
                storageClass: StorageClass.INFREQUENT_ACCESS,
                transitionAfter: Duration.days(spec.infrequentAccessAfterDays),
              },
            ],
            expiration: Duration.days(spec.expireAfterDays),
            // Overwritten copies (retried deliveries) only need to outlive a replay window.
            noncurrentVersionExpiration: Duration.days(MIN_INFREQUENT_ACCESS_DAYS),
            abortIncompleteMultipartUploadAfter: Duration.days(1),
          },
        ],
        removalPolicy,
      });
    }
    this.buckets = buckets;
  }

  private createLogsBucket(removalPolicy: RemovalPolicy): IBucket {
    return new Bucket(this, 'AccessLogs', {
      ...privateBucketDefaults,
      // Access logs are written once and never overwritten; versioning would only double their cost.
      versioned: false,
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(ACCESS_LOG_RETENTION_DAYS) }],
      removalPolicy,
    });
  }
}

const privateBucketDefaults = {
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
} as const;

function validateBucketSpec(name: string, spec: BucketSpec): void {
  const { infrequentAccessAfterDays: ia, expireAfterDays: expire } = spec;
  if (!Number.isInteger(ia) || ia < MIN_INFREQUENT_ACCESS_DAYS) {
    throw new Error(
      `bucket ${name}: infrequentAccessAfterDays must be an integer >= ${MIN_INFREQUENT_ACCESS_DAYS} (S3 minimum), got ${ia}`,
    );
  }
  if (!Number.isInteger(expire) || expire <= ia) {
    throw new Error(
      `bucket ${name}: expireAfterDays (${expire}) must be an integer greater than infrequentAccessAfterDays (${ia})`,
    );
  }
}
