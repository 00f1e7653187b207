/**
 * Observability: an alarm whenever a dead-letter queue holds a message (device input that could not be
 * processed waits there for inspection and replay) and whenever a handler reports errors.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IAlarmAction,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { pascal } from './names.ts';

export interface ObservabilityProps {
  /** Dead-letter queues to watch, by wiring name. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** Functions to watch, by wiring name. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /**
   * Where alarms notify (e.g. an SNS topic action).
   * @default - no action; the alarms show in the CloudWatch console
   */
  readonly alarmAction?: IAlarmAction;
  /**
   * Period over which the metrics are evaluated.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

export class Observability extends Construct {
  private readonly props: ObservabilityProps;
  private readonly alarmById: Record<string, Alarm> = {};

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.props = props;
    const period = props.period ?? Duration.minutes(5);
    if (period.toSeconds() < 60 || period.toSeconds() % 60 !== 0) {
      throw new Error(
        `Observability: period must be a whole number of minutes, got ${period.toHumanString()}`,
      );
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarmWhenPositive(
        `${pascal(name)}NotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        `Dead-letter queue ${name} holds messages: inspect the reasons, fix, then replay`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarmWhenPositive(
        `${pascal(name)}Errors`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        `Function ${name} reported errors`,
      );
    }
  }

  /** The alarms, by construct id. */
  get alarms(): Readonly<Record<string, Alarm>> {
    return this.alarmById;
  }

  private alarmWhenPositive(id: string, metric: Metric, description: string): void {
    const alarm = new Alarm(this, id, {
      metric,
      alarmDescription: description,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data points means an idle queue or function: healthy, not unknown.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.props.alarmAction !== undefined) alarm.addAlarmAction(this.props.alarmAction);
    this.alarmById[id] = alarm;
  }
}
