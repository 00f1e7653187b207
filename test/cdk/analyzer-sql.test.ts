import type { Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { athenaTables, namedQueries, preparedStatementName, renderQuery } from '#lambdas/analyzer/queries.ts';
import { QUERY_TABLES, queryTableColumns } from '#lambdas/analyzer/query-tables.ts';
import { AnalyzerSql, type AnalyzerSqlProps } from '#lib/analyzer-sql.ts';
import { testStack } from './app.ts';

function analyzerSql(props: Partial<AnalyzerSqlProps> = {}): { stack: Stack; construct: AnalyzerSql } {
  const stack = testStack();
  const archiveBucket = new Bucket(stack, 'Archive');
  const logs = new Bucket(stack, 'Logs');
  const construct = new AnalyzerSql(stack, 'AnalyzerSql', {
    archiveBucket,
    serverAccessLogsBucket: logs,
    ...props,
  });
  return { stack, construct };
}

const archiveRef = (stack: Stack) => ({
  Ref: stack.getLogicalId(stack.node.findChild('Archive').node.defaultChild as never),
});

const HIVE_TYPE = { STRING: 'string', INT32: 'int', DOUBLE: 'double', TIMESTAMP: 'timestamp' } as const;

describe('AnalyzerSql', () => {
  it.each(QUERY_TABLES)(
    'declares the %s table with the columns query-tables.ts writes, in order',
    (table) => {
      const { stack } = analyzerSql();
      const columns = new Capture();

      Template.fromStack(stack).hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: table,
          StorageDescriptor: Match.objectLike({ Columns: columns }),
        }),
      });

      expect(columns.asArray()).toEqual(
        queryTableColumns[table].map(({ name, type }) => ({ Name: name, Type: HIVE_TYPE[type] })),
      );
    },
  );

  it.each(QUERY_TABLES)(
    'partitions %s by dt, projected by day over the archive prefix, read as Parquet',
    (table) => {
      const { stack } = analyzerSql({ historyDays: 90 });

      Template.fromStack(stack).hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: table,
          PartitionKeys: [Match.objectLike({ Name: 'dt', Type: 'string' })],
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': 'NOW-90DAYS,NOW',
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'storage.location.template': {
              'Fn::Join': ['', ['s3://', archiveRef(stack), `/analyzer/${table}/dt=\${dt}/`]],
            },
          }),
          StorageDescriptor: Match.objectLike({
            Location: { 'Fn::Join': ['', ['s3://', archiveRef(stack), `/analyzer/${table}/`]] },
            InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            SerdeInfo: Match.objectLike({
              SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            }),
          }),
        }),
      });
    },
  );

  it('declares no crawler: partitions come from projection', () => {
    const { stack } = analyzerSql();

    Template.fromStack(stack).resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it.each(namedQueries.map((q) => [q.name, q] as const))(
    'saves %s as a named query and a prepared statement holding the SQL of queries.ts',
    (name, query) => {
      const { stack } = analyzerSql();
      const template = Template.fromStack(stack);
      const sql = renderQuery(query, athenaTables('fleetpulse_analyzer'));

      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: name,
        QueryString: sql,
        Database: Match.objectLike({ Ref: Match.stringLikeRegexp('Database') }),
        WorkGroup: { Ref: Match.stringLikeRegexp('WorkGroup') },
      });
      template.hasResourceProperties('AWS::Athena::PreparedStatement', {
        StatementName: preparedStatementName(name),
        QueryStatement: sql,
        WorkGroup: { Ref: Match.stringLikeRegexp('WorkGroup') },
      });
      expect(sql).toContain('"fleetpulse_analyzer".');
      expect(sql).not.toContain('{');
    },
  );

  it('runs queries in a workgroup that enforces its settings, encrypts results and caps each scan', () => {
    const { stack } = analyzerSql({ bytesScannedCutoffPerQuery: 1_000_000_000 });
    const location = new Capture();

    Template.fromStack(stack).hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'fleetpulse-analyzer',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1_000_000_000,
        ResultConfiguration: {
          OutputLocation: location,
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      }),
    });
    expect(JSON.stringify(location.asObject())).toMatch(/Results.*\/results\//);
  });

  it('exports the database, workgroup and query role for the CLI under fixed names', () => {
    const { stack } = analyzerSql();
    const template = Template.fromStack(stack);

    template.hasOutput('AnalyzerDatabaseName', { Value: 'fleetpulse_analyzer' });
    template.hasOutput('AnalyzerWorkGroupName', { Value: { Ref: Match.stringLikeRegexp('WorkGroup') } });
    template.hasOutput('AnalyzerQueryRoleArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('QueryRole'), 'Arn'] },
    });
  });

  it('lets the query role run queries in its workgroup only, and change nothing', () => {
    const { stack } = analyzerSql();
    const statements = new Capture();

    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('QueryRole') }],
      PolicyDocument: { Statement: statements },
    });

    const all = statements.asArray() as Array<{ Action: string | string[]; Resource: unknown }>;
    const actions = all.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions).toContain('athena:StartQueryExecution');
    expect(actions.filter((a) => /^athena:(Create|Delete|Update)/.test(a))).toEqual([]);
    expect(actions.filter((a) => /^glue:(Create|Delete|Update|BatchCreate|BatchDelete)/.test(a))).toEqual([]);
    const athena = all.find((s) => [s.Action].flat().includes('athena:StartQueryExecution'));
    expect(JSON.stringify(athena?.Resource)).toMatch(/workgroup\/.*WorkGroup/);
    const database = all.find((s) => [s.Action].flat().includes('glue:GetDatabase'));
    expect(JSON.stringify(database?.Resource)).toMatch(/:catalog".*:database\/.*Database/);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    const { construct } = analyzerSql();

    const report = new AwsSolutionsChecks().validateScope(construct);

    expect(
      report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
  });

  it.each([
    [{ databaseName: 'Fleet-Analyzer' }, /databaseName must be/],
    [{ workGroupName: 'has space' }, /workGroupName must be/],
    [{ historyDays: 0 }, /historyDays must be a whole number >= 1/],
    [{ historyDays: 1.5 }, /historyDays must be a whole number >= 1/],
    [{ bytesScannedCutoffPerQuery: 1_000 }, /bytesScannedCutoffPerQuery must be .* >= 10000000/],
    [
      {
        namedQueries: [
          { name: 'a-b', description: '', sql: 'SELECT 1' },
          { name: 'a_b', description: '', sql: 'SELECT 2' },
        ],
      },
      /two named queries become the prepared statement 'a_b'/,
    ],
  ] as const)('rejects bad props %j at synth', (props, message) => {
    expect(() => analyzerSql(props as Partial<AnalyzerSqlProps>)).toThrow(message);
  });
});
