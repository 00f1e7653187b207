/**
 * cdk-nag 3 acknowledgements. cdk-nag 3 dropped `NagSuppressions` for CDK's own
 * `Validations.of(scope).acknowledge()`, and matches IAM5 findings one by one
 * (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`), with no prefix matching. The helper below derives
 * those ids from the statements a grant actually produced, so an acknowledgement can never cover more
 * than the grant it sits next to.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** Acknowledges one cdk-nag rule on `scope` and everything below it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the AwsSolutions-IAM5 findings (wildcard actions or resources) of the statements a
 * grant added. Use only for aws-cdk-lib grants, whose wildcards are scoped to one resource.
 */
export function acknowledgeGrantWildcards(scope: IConstruct, grant: Grant, reason: string): void {
  acknowledgeStatementWildcards(scope, grant.principalStatements, reason);
}

export function acknowledgeStatementWildcards(
  scope: IConstruct,
  statements: readonly PolicyStatement[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const statement of statements) {
    const json = stack.resolve(statement.toStatementJson()) as { Action?: unknown; Resource?: unknown };
    for (const action of asArray(json.Action).map(flatten)) {
      if (action.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
    }
    for (const resource of asArray(json.Resource).map(flatten)) {
      if (resource.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
    }
  }
}

const asArray = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Flattens a resolved CloudFormation value the way cdk-nag names findings (`<Logical.Arn>`, `<AWS::Region>`). */
function flatten(node: unknown): string {
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if ('Fn::Sub' in record) return flatten(record['Fn::Sub']);
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if ('Fn::ImportValue' in record) return flatten(record['Fn::ImportValue']);
    if ('Ref' in record) return `<${flatten(record.Ref)}>`;
  }
  return JSON.stringify(node);
}
