/**
 * Device input common to every ingest feature: the dead-letter queue that takes what a handler
 * refused (with the reason) or failed on after the retries, and the topic rules that feed handlers.
 */
import { ingestRules } from '#protocol/topics.ts';
import type { Feature } from './feature.ts';
import type { Trigger } from './functions.ts';

/** The trigger of a function fed by one of the protocol's ingest rules (the wiring's only use of them). */
export function topicRule(rule: keyof typeof ingestRules): Extract<Trigger, { kind: 'topic-rule' }> {
  return { kind: 'topic-rule', ...ingestRules[rule] };
}

/** The rule and topic filter of one ingest rule, for a 'topic-rule-queue' trigger. */
export function topicRuleSource(rule: keyof typeof ingestRules): { ruleName: string; topicFilter: string } {
  return { ...ingestRules[rule] };
}

export const ingest = {
  name: 'ingest',
  queues: {
    /** Device input that failed validation or processing, with the reason; inspect and replay from here. */
    ingestDeadLetter: {
      envVar: 'INGEST_DLQ_URL',
      localName: 'fleetpulse-ingest-dlq',
      visibilityTimeoutSec: 30,
      retentionDays: 14,
      operatorName: 'ingest',
    },
  },
} as const satisfies Feature;
