/**
 * SQL over the analyzer history in AWS: a Glue database with one table per query table of
 * lambdas/analyzer/query-tables.ts (columns derived from its declaration, `dt` projected, never
 * crawled), an Athena workgroup whose results are encrypted and whose scans are capped, and the named
 * queries of lambdas/analyzer/queries.ts as Athena named queries and prepared statements.
 *
 * The day range: Athena binds `?` as execution parameters (StartQueryExecution, and the console asks
 * for them when a saved query holds `?`), so each named query keeps the exact text DuckDB runs
 * locally, with its `?`. A prepared statement of the same text serves SQL clients that only speak
 * `EXECUTE top_apps_by_cpu USING '2026-11-01', '2026-11-07'` (JDBC/ODBC, dashboards). Baking a
 * default range into the text would make a second copy of every query that drifts from the first.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnPreparedStatement, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import {
  type Column,
  Database,
  DataFormat,
  DateIntervalUnit,
  PartitionProjectionConfiguration,
  S3Table,
  S3TableStorage,
  Schema,
  type Type,
} from 'aws-cdk-lib/aws-glue';
import { AccountRootPrincipal, Grant, type IGrantable, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ATHENA_DEFAULTS,
  athenaTables,
  namedQueries as declaredQueries,
  type NamedQuery,
  preparedStatementName,
  renderQuery,
} from '#lambdas/analyzer/queries.ts';
import {
  type ColumnType,
  QUERY_PREFIX,
  QUERY_TABLES,
  type QueryTable,
  queryTableColumns,
} from '#lambdas/analyzer/query-tables.ts';
import { acknowledgeGrantWildcards, acknowledgeStatementWildcards } from './nag.ts';
import { pascal } from './names.ts';

export interface AnalyzerSqlProps {
  /** The bucket the analyzer-tables function writes `analyzer/{samples,apps}/dt=…/` to. */
  readonly archiveBucket: IBucket;
  /**
   * Bucket that receives the server access logs of the query results bucket.
   * @default - no access logs (cdk-nag S1 then fails: pass the archive's logs bucket)
   */
  readonly serverAccessLogsBucket?: IBucket;
  /**
   * How many days back partition projection offers; older days are invisible to queries.
   * @default 400
   */
  readonly historyDays?: number;
  /**
   * Glue database name (lowercase letters, digits, underscores).
   * @default 'fleetpulse_analyzer'
   */
  readonly databaseName?: string;
  /**
   * Athena workgroup name.
   * @default 'fleetpulse-analyzer'
   */
  readonly workGroupName?: string;
  /**
   * A query that would scan more is cancelled by Athena (at least 10 MB, Athena's minimum).
   * @default 10 GiB (about $0.05 at $5 per TB)
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * How long query results are kept.
   * @default Duration.days(30)
   */
  readonly resultsRetention?: Duration;
  /**
   * Named queries to declare.
   * @default - lambdas/analyzer/queries.ts `namedQueries`
   */
  readonly namedQueries?: readonly NamedQuery[];
  /**
   * What happens to the results bucket when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Athena refuses a smaller cutoff. */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;
const DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;
const DEFAULT_HISTORY_DAYS = 400;
const RESULTS_PREFIX = 'results/';
const GLUE_DATABASE_NAME = /^[a-z0-9_]{1,255}$/;
const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/;

/** Parquet physical/logical type as written → the Hive type Glue and Athena read it as. */
const GLUE_TYPES: Readonly<Record<ColumnType, Type>> = {
  STRING: Schema.STRING,
  INT32: Schema.INTEGER,
  DOUBLE: Schema.DOUBLE,
  TIMESTAMP: Schema.TIMESTAMP,
};

export const glueColumns = (table: QueryTable): Column[] =>
  queryTableColumns[table].map(({ name, type }) => ({ name, type: GLUE_TYPES[type] }));

export class AnalyzerSql extends Construct {
  readonly database: Database;
  readonly tables: Readonly<Record<QueryTable, S3Table>>;
  readonly workGroup: CfnWorkGroup;
  readonly resultsBucket: IBucket;
  /** Who may run the analyzer queries: assumable by the account's principals allowed to. */
  readonly queryRole: Role;

  constructor(scope: Construct, id: string, props: AnalyzerSqlProps) {
    super(scope, id);
    const databaseName = props.databaseName ?? ATHENA_DEFAULTS.database;
    const workGroupName = props.workGroupName ?? ATHENA_DEFAULTS.workgroup;
    const historyDays = props.historyDays ?? DEFAULT_HISTORY_DAYS;
    const cutoff = props.bytesScannedCutoffPerQuery ?? DEFAULT_BYTES_SCANNED_CUTOFF;
    const queries = props.namedQueries ?? declaredQueries;
    validate({ databaseName, workGroupName, historyDays, cutoff, queries });

    this.database = new Database(this, 'Database', {
      databaseName,
      description: 'fleetpulse analyzer history (Parquet in the archive bucket, partition projection on dt)',
    });

    const tables: Partial<Record<QueryTable, S3Table>> = {};
    for (const table of QUERY_TABLES) {
      const s3Prefix = `${QUERY_PREFIX}/${table}/`;
      tables[table] = new S3Table(this, `${pascal(table)}Table`, {
        database: this.database,
        tableName: table,
        description: `analyzer ${table}, written by lambdas/analyzer/query-tables.ts`,
        storage: S3TableStorage.fromBucket(props.archiveBucket),
        s3Prefix,
        dataFormat: DataFormat.PARQUET,
        columns: glueColumns(table),
        partitionKeys: [{ name: 'dt', type: Schema.STRING, comment: 'UTC day of the sample, YYYY-MM-DD' }],
        // Objects are SSE-S3 encrypted: S3 decrypts them, Athena needs no client-side key.
        hasEncryptedData: false,
        // Days are computed from the query's `dt` filter: no crawler, no partitions to add.
        partitionProjection: {
          dt: PartitionProjectionConfiguration.date({
            min: `NOW-${historyDays}DAYS`,
            max: 'NOW',
            format: 'yyyy-MM-dd',
            step: { interval: 1, intervalUnit: DateIntervalUnit.DAYS },
          }),
        },
        parameters: {
          'storage.location.template': `s3://${props.archiveBucket.bucketName}/${s3Prefix}dt=\${dt}/`,
        },
      });
    }
    this.tables = tables as Record<QueryTable, S3Table>;

    this.resultsBucket = new Bucket(this, 'Results', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Results are re-creatable by running the query again: no versions, short life.
      lifecycleRules: [
        {
          id: 'expire-results',
          expiration: props.resultsRetention ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      ...(props.serverAccessLogsBucket
        ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'athena-results/' }
        : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: workGroupName,
      description: 'fleetpulse analyzer SQL: results encrypted, scans capped',
      state: 'ENABLED',
      // Deleting the stack removes the workgroup with its saved queries (they are declared here).
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const sqlTables = athenaTables(databaseName);
    for (const query of queries) {
      const sql = renderQuery(query, sqlTables);
      new CfnNamedQuery(this, `Query-${query.name}`, {
        name: query.name,
        description: `${query.description}. The two ? are the first and last day (YYYY-MM-DD).`,
        database: this.database.databaseName,
        workGroup: this.workGroup.ref,
        queryString: sql,
      });
      new CfnPreparedStatement(this, `Statement-${query.name}`, {
        statementName: preparedStatementName(query.name),
        description: query.description,
        workGroup: this.workGroup.ref,
        queryStatement: sql,
      });
    }

    this.queryRole = new Role(this, 'QueryRole', {
      description: 'Operators assume this to run fleetpulse analyzer query through Athena',
      assumedBy: new AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(1),
    });
    const reason =
      'aws-cdk-lib grants on one Glue table and one S3 prefix: the wildcards are the objects under that table prefix or the results prefix';
    for (const grant of this.grantQuery(this.queryRole))
      acknowledgeGrantWildcards(this.queryRole, grant, reason);
    // S3Table.grantRead adds its bucket statement without returning it: acknowledge the same prefixes.
    acknowledgeStatementWildcards(
      this.queryRole,
      Object.values(this.tables).map(
        (table) =>
          new PolicyStatement({ resources: [props.archiveBucket.arnForObjects(`${table.s3Prefix}*`)] }),
      ),
      reason,
    );

    // Fixed output names, so scripts and the README can name them (`describe-stacks`), not a hash.
    const outputs: Array<[string, string, string]> = [
      [
        'AnalyzerDatabaseName',
        'Glue database of the analyzer tables (fleetpulse analyzer query --database)',
        databaseName,
      ],
      [
        'AnalyzerWorkGroupName',
        'Athena workgroup of the analyzer named queries (fleetpulse analyzer query --workgroup)',
        this.workGroup.ref,
      ],
      [
        'AnalyzerQueryRoleArn',
        'Role to assume for fleetpulse analyzer query --target aws (least privilege)',
        this.queryRole.roleArn,
      ],
    ];
    for (const [name, description, value] of outputs) {
      new CfnOutput(this, name, { description, value }).overrideLogicalId(name);
    }
  }

  /**
   * What `fleetpulse analyzer query` needs in AWS: run and read queries in this workgroup only, read
   * the two tables' catalogue entries and Parquet objects, and write and read the results.
   */
  grantQuery(grantee: IGrantable): Grant[] {
    const workGroupArn = Stack.of(this).formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: this.workGroup.ref,
    });
    return [
      Grant.addToPrincipal({ grantee, actions: ATHENA_QUERY_ACTIONS, resourceArns: [workGroupArn] }),
      // Glue authorises a table read on the catalogue and the database as well as on the table.
      Grant.addToPrincipal({
        grantee,
        actions: GLUE_CATALOG_READ_ACTIONS,
        resourceArns: [this.database.catalog.catalogArn, this.database.databaseArn],
      }),
      ...Object.values(this.tables).map((table) => table.grantRead(grantee)),
      this.resultsBucket.grantReadWrite(grantee, `${RESULTS_PREFIX}*`),
    ];
  }
}

const GLUE_CATALOG_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
];

/** Running, watching, stopping and reading queries, and listing the saved ones: nothing that changes the workgroup. */
const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
  'athena:ListNamedQueries',
  'athena:GetNamedQuery',
  'athena:BatchGetNamedQuery',
  'athena:ListPreparedStatements',
  'athena:GetPreparedStatement',
];

function validate(p: {
  databaseName: string;
  workGroupName: string;
  historyDays: number;
  cutoff: number;
  queries: readonly NamedQuery[];
}): void {
  if (!Token.isUnresolved(p.databaseName) && !GLUE_DATABASE_NAME.test(p.databaseName)) {
    throw new Error(
      `AnalyzerSql: databaseName must be 1-255 lowercase letters, digits or underscores (Athena reads Glue names lowercased), got '${p.databaseName}'`,
    );
  }
  if (!Token.isUnresolved(p.workGroupName) && !WORKGROUP_NAME.test(p.workGroupName)) {
    throw new Error(
      `AnalyzerSql: workGroupName must be 1-128 of A-Z a-z 0-9 . _ -, got '${p.workGroupName}'`,
    );
  }
  if (!Number.isInteger(p.historyDays) || p.historyDays < 1) {
    throw new Error(`AnalyzerSql: historyDays must be a whole number >= 1, got ${p.historyDays}`);
  }
  if (!Number.isInteger(p.cutoff) || p.cutoff < MIN_BYTES_SCANNED_CUTOFF) {
    throw new Error(
      `AnalyzerSql: bytesScannedCutoffPerQuery must be a whole number >= ${MIN_BYTES_SCANNED_CUTOFF} (Athena's minimum), got ${p.cutoff}`,
    );
  }
  const names = new Set<string>();
  for (const { name } of p.queries) {
    const statement = preparedStatementName(name);
    if (names.has(statement)) {
      throw new Error(`AnalyzerSql: two named queries become the prepared statement '${statement}'`);
    }
    names.add(statement);
  }
}
