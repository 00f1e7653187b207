/**
 * Device state: one DynamoDB table per `tables` entry of the wiring (wiring/fleet.ts). On-demand (fleet traffic
 * is bursty: every agent reports after a patch Tuesday), point-in-time recovery, encrypted at rest.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableSpec } from '#wiring/resources.ts';
import { pascal } from './names.ts';

export interface StateTablesProps {
  /** Tables to create, by wiring name. */
  readonly tables: Readonly<Record<string, TableSpec>>;
  /**
   * Customer-managed key to encrypt the tables with.
   * @default - AWS-managed key (aws/dynamodb)
   */
  readonly encryptionKey?: IKey;
  /**
   * What happens to the tables when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
const INDEX_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export class StateTables extends Construct {
  /** The tables, by wiring name. */
  readonly tables: Readonly<Record<string, ITable>>;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    const tables: Record<string, ITable> = {};
    for (const [name, spec] of Object.entries(props.tables)) {
      validateTableSpec(name, spec);
      const table = new Table(this, pascal(name), {
        partitionKey: { name: spec.partitionKey, type: AttributeType.STRING },
        ...(spec.sortKey === undefined
          ? {}
          : { sortKey: { name: spec.sortKey, type: AttributeType.STRING } }),
        ...(spec.ttlAttribute === undefined ? {} : { timeToLiveAttribute: spec.ttlAttribute }),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(props.encryptionKey === undefined
          ? { encryption: TableEncryption.AWS_MANAGED }
          : { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }),
        // Device state and change history are the product: never lost to a stack deletion by default.
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      for (const [indexName, index] of Object.entries(spec.indexes ?? {})) {
        table.addGlobalSecondaryIndex({
          indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.numberSortKey, type: AttributeType.NUMBER },
          // Keys only: each indexed write adds one small index write, whatever the item's size.
          projectionType: ProjectionType.KEYS_ONLY,
        });
      }
      tables[name] = table;
    }
    this.tables = tables;
  }
}

function validateTableSpec(name: string, spec: TableSpec): void {
  for (const [what, attribute] of [
    ['partitionKey', spec.partitionKey],
    ['sortKey', spec.sortKey],
    ['ttlAttribute', spec.ttlAttribute],
  ] as const) {
    if (attribute !== undefined && !ATTRIBUTE_NAME.test(attribute)) {
      throw new Error(`table ${name}: ${what} '${attribute}' is not a valid DynamoDB attribute name`);
    }
  }
  if (spec.ttlAttribute !== undefined && [spec.partitionKey, spec.sortKey].includes(spec.ttlAttribute)) {
    throw new Error(`table ${name}: ttlAttribute '${spec.ttlAttribute}' cannot be a key attribute`);
  }
  for (const [indexName, index] of Object.entries(spec.indexes ?? {})) {
    if (!INDEX_NAME.test(indexName)) {
      throw new Error(`table ${name}: index name '${indexName}' is not a valid DynamoDB index name`);
    }
    for (const attribute of [index.partitionKey, index.numberSortKey]) {
      if (!ATTRIBUTE_NAME.test(attribute)) {
        throw new Error(`table ${name}: index ${indexName} key '${attribute}' is not a valid attribute name`);
      }
    }
    // The table declares its own key attributes as strings; one attribute cannot be both types.
    if ([spec.partitionKey, spec.sortKey].includes(index.numberSortKey)) {
      throw new Error(
        `table ${name}: index ${indexName} sort key '${index.numberSortKey}' is a string key of the table`,
      );
    }
  }
}
