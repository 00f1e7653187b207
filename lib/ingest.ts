/**
 * Ingest: how device traffic reaches the handlers, from the `trigger` of each wiring function.
 * - 'topic-rule': IoT rule → Lambda, invoked asynchronously; Lambda retries twice, then the event goes
 *   to the ingest dead-letter queue, as do events the rule engine itself fails to deliver.
 * - 'topic-rule-queue': IoT rule → SQS → Lambda in batches with partial batch failures; the queue's
 *   redrive moves poison messages to its own dead-letter queue.
 * - 'queue': SQS → Lambda, the same way.
 * Every rule uses the same SELECT (wiring/rule-event.ts), so handlers get one event shape.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionSpec, Trigger } from '#wiring/functions.ts';
import type { QueueSpec } from '#wiring/resources.ts';
import { RULE_SQL_VERSION, ruleSql } from '#wiring/rule-event.ts';
import type { HandlerBinding } from './functions.ts';
import { pascal } from './names.ts';

export interface IngestQueue {
  readonly spec: QueueSpec;
  readonly queue: IQueue;
}

export interface IngestProps {
  /** Handlers by wiring name; those with an 'api' trigger are ignored. */
  readonly handlers: Readonly<Record<string, HandlerBinding>>;
  /** Queues the triggers may name, by wiring name. */
  readonly queues: Readonly<Record<string, IngestQueue>>;
  /** Where failed rule deliveries and exhausted asynchronous invocations go. */
  readonly deadLetterQueue: IQueue;
  /**
   * Retries of a failed asynchronous invocation before the event goes to `deadLetterQueue`.
   * @default 2
   */
  readonly retryAttempts?: number;
}

type QueueTrigger = Extract<Trigger, { kind: 'topic-rule-queue' | 'queue' }>;

const RULE_NAME = /^[a-zA-Z0-9_]{1,128}$/;
/** Lambda limits for SQS event sources on standard queues. */
const MAX_BATCH_SIZE = 10_000;
const MAX_BATCHING_WINDOW_SEC = 300;

export class Ingest extends Construct {
  private readonly props: IngestProps;
  private readonly ruleByName: Record<string, CfnTopicRule> = {};

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    this.props = props;
    for (const [name, { spec, handler }] of Object.entries(props.handlers)) {
      const trigger = spec.trigger;
      switch (trigger.kind) {
        case 'topic-rule':
          this.ruleToFunction(name, trigger.ruleName, trigger.topicFilter, handler);
          break;
        case 'topic-rule-queue':
          this.ruleToQueue(name, trigger.ruleName, trigger.topicFilter, this.queueFor(name, spec, trigger));
          this.queueToFunction(name, spec, trigger, handler);
          break;
        case 'queue':
          this.queueToFunction(name, spec, trigger, handler);
          break;
        case 'api':
          break;
      }
    }
  }

  /** The topic rules, by rule name. */
  get rules(): Readonly<Record<string, CfnTopicRule>> {
    return this.ruleByName;
  }

  private ruleToFunction(name: string, ruleName: string, topicFilter: string, handler: IFunction): void {
    const id = pascal(name);
    const role = this.ruleRole(id);
    const rule = this.topicRule(id, ruleName, topicFilter, role, {
      lambda: { functionArn: handler.functionArn },
    });
    handler.addPermission(`${id}InvokedByIot`, {
      principal: new ServicePrincipal('iot.amazonaws.com'),
      sourceArn: rule.attrArn,
      sourceAccount: Stack.of(this).account,
    });
    handler.configureAsyncInvoke({
      retryAttempts: this.props.retryAttempts ?? 2,
      onFailure: new SqsDestination(this.props.deadLetterQueue),
    });
  }

  private ruleToQueue(name: string, ruleName: string, topicFilter: string, queue: IQueue): void {
    const id = pascal(name);
    const role = this.ruleRole(id);
    queue.grantSendMessages(role);
    // useBase64 false: the SELECT already base64-encodes the payload inside a JSON message body.
    this.topicRule(id, ruleName, topicFilter, role, {
      sqs: { queueUrl: queue.queueUrl, roleArn: role.roleArn, useBase64: false },
    });
  }

  private queueToFunction(name: string, spec: FunctionSpec, trigger: QueueTrigger, handler: IFunction): void {
    const { batchSize, maxBatchingWindowSec, maxConcurrency } = trigger;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      throw new Error(
        `function ${name}: maxConcurrency must be an integer in 2..1000, got ${maxConcurrency}`,
      );
    }
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new Error(
        `function ${name}: batchSize must be an integer in 1..${MAX_BATCH_SIZE}, got ${batchSize}`,
      );
    }
    if (
      !Number.isInteger(maxBatchingWindowSec) ||
      maxBatchingWindowSec < 0 ||
      maxBatchingWindowSec > MAX_BATCHING_WINDOW_SEC
    ) {
      throw new Error(
        `function ${name}: maxBatchingWindowSec must be an integer in 0..${MAX_BATCHING_WINDOW_SEC}, got ${maxBatchingWindowSec}`,
      );
    }
    if (batchSize > 10 && maxBatchingWindowSec === 0) {
      throw new Error(`function ${name}: a batchSize above 10 needs a maxBatchingWindowSec of at least 1`);
    }
    handler.addEventSource(
      new SqsEventSource(this.queueFor(name, spec, trigger), {
        batchSize,
        maxBatchingWindow: Duration.seconds(maxBatchingWindowSec),
        maxConcurrency,
        // Only the failed records of a batch are retried, never the whole batch.
        reportBatchItemFailures: true,
      }),
    );
  }

  private queueFor(name: string, spec: FunctionSpec, trigger: QueueTrigger): IQueue {
    const entry = this.props.queues[trigger.queue];
    if (entry === undefined) {
      const known = Object.keys(this.props.queues).join(', ') || 'none';
      throw new Error(
        `function ${name}: trigger names unknown queue '${trigger.queue}' (declared: ${known})`,
      );
    }
    // Otherwise a message becomes visible again while the function still works on it: processed twice.
    if (entry.spec.visibilityTimeoutSec < spec.timeoutSec) {
      throw new Error(
        `function ${name}: queue '${trigger.queue}' visibility timeout (${entry.spec.visibilityTimeoutSec}s) is shorter than the function timeout (${spec.timeoutSec}s)`,
      );
    }
    return entry.queue;
  }

  /** One role per rule, allowed to send to the dead-letter queue (and to the rule's queue, granted by the caller). */
  private ruleRole(id: string): IRole {
    const role = new Role(this, `${id}RuleRole`, {
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Lets the ${id} IoT rule deliver its events and errors`,
    });
    this.props.deadLetterQueue.grantSendMessages(role);
    return role;
  }

  private topicRule(
    id: string,
    ruleName: string,
    topicFilter: string,
    role: IRole,
    action: CfnTopicRule.ActionProperty,
  ): CfnTopicRule {
    if (!RULE_NAME.test(ruleName))
      throw new Error(`rule ${ruleName}: IoT rule names must match ${RULE_NAME}`);
    if (this.ruleByName[ruleName] !== undefined) throw new Error(`rule ${ruleName}: declared twice`);
    const rule = new CfnTopicRule(this, `${id}Rule`, {
      // A fixed name: devices address Basic Ingest topics ($aws/rules/<ruleName>/...) by it.
      ruleName,
      topicRulePayload: {
        sql: ruleSql(topicFilter),
        awsIotSqlVersion: RULE_SQL_VERSION,
        ruleDisabled: false,
        actions: [action],
        errorAction: {
          sqs: { queueUrl: this.props.deadLetterQueue.queueUrl, roleArn: role.roleArn, useBase64: false },
        },
      },
    });
    this.ruleByName[ruleName] = rule;
    return rule;
  }
}
