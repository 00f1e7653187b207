import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { Archive } from '#lib/archive.ts';
import { buckets } from '#wiring/fleet.ts';
import { testStack } from './app.ts';

function archiveTemplate(): Template {
  const stack = testStack();
  new Archive(stack, 'Archive', { buckets });
  return Template.fromStack(stack);
}

const archiveBucket = { LoggingConfiguration: Match.objectLike({}) };

describe('Archive', () => {
  it('blocks all public access and encrypts every bucket', () => {
    const template = archiveTemplate();

    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it('denies every request that does not use TLS', () => {
    const template = archiveTemplate();

    template.resourcePropertiesCountIs(
      'AWS::S3::BucketPolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      },
      2,
    );
  });

  it('tiers archived objects to infrequent access, then expires them, as the wiring declares', () => {
    const template = archiveTemplate();

    template.hasResourceProperties('AWS::S3::Bucket', {
      ...archiveBucket,
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: buckets.archive.infrequentAccessAfterDays },
            ],
            ExpirationInDays: buckets.archive.expireAfterDays,
          }),
        ],
      },
    });
  });

  it('logs server access to a separate logs bucket', () => {
    const stack = testStack();
    const archive = new Archive(stack, 'Archive', { buckets });

    const template = Template.fromStack(stack);

    const logsBucketId = stack.getLogicalId(archive.serverAccessLogsBucket.node.defaultChild as never);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logsBucketId }, LogFilePrefix: 'archive/' },
    });
  });

  it('rejects a transition to infrequent access earlier than S3 allows', () => {
    const stack = testStack();
    const spec = { ...buckets.archive, infrequentAccessAfterDays: 7 };

    expect(() => new Archive(stack, 'Archive', { buckets: { archive: spec } })).toThrow(
      /bucket archive: infrequentAccessAfterDays must be an integer >= 30/,
    );
  });

  it('rejects an expiration that comes before the transition', () => {
    const stack = testStack();
    const spec = { ...buckets.archive, infrequentAccessAfterDays: 60, expireAfterDays: 45 };

    expect(() => new Archive(stack, 'Archive', { buckets: { archive: spec } })).toThrow(
      /expireAfterDays \(45\) must be an integer greater than infrequentAccessAfterDays \(60\)/,
    );
  });
});
