/**
 * A device as the agent behaves on the wire, with an inventory the test can edit: full report first,
 * then diffs of what the test changed, heartbeats carrying the report sequence.
 */
import type { MqttClient } from 'mqtt';
import { buildReport, MemorySequenceStore, type ReportBaseline } from '#agent/inventory/index.ts';
import type { InventorySections } from '#agent/inventory/sections.ts';
import { encodeFramed, encodeJson } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { SimulatedHost } from '#simulator/inventory/generated-host.ts';
import { validHeartbeat } from './heartbeat.ts';

export class ReportingDevice {
  private baseline: ReportBaseline | undefined;
  private readonly store = new MemorySequenceStore();
  /** The last report sent, as framed bytes (to send it again: a redelivery). */
  lastFrame: Buffer | undefined;
  /** The inventory the next report carries; edit it, then report(). */
  sections: InventorySections;

  constructor(
    readonly id: string,
    private readonly client: MqttClient,
    host: SimulatedHost,
  ) {
    this.sections = host.sections();
  }

  static simulated(
    id: string,
    client: MqttClient,
    seed: number,
    subnet: { cidr: string; gateway: string },
  ): ReportingDevice {
    return new ReportingDevice(id, client, new SimulatedHost(seed, { subnet }));
  }

  /** The network section's interfaces, to edit. */
  get interfaces(): Record<string, Record<string, unknown>> {
    const network = this.sections.network as { interfaces: Record<string, Record<string, unknown>> };
    return network.interfaces;
  }

  /** Publishes the next report (full at first, then a diff); the sequence it carries. */
  async report(): Promise<number> {
    const built = buildReport(
      this.baseline,
      { sections: structuredClone(this.sections), errors: [], collectedAt: Date.now() },
      this.store,
      { agentVersion: '0.0.0-test' },
    );
    if (!built) return this.store.current;
    this.baseline = built.baseline;
    this.lastFrame = encodeFramed(built.report);
    await this.client.publishAsync(topics.report(this.id), this.lastFrame, { qos: 1 });
    return built.report.seq;
  }

  async resend(): Promise<void> {
    if (this.lastFrame) await this.client.publishAsync(topics.report(this.id), this.lastFrame, { qos: 1 });
  }

  async heartbeat(): Promise<void> {
    const hb = validHeartbeat({
      reportSeq: this.store.current,
      reportEpoch: this.store.epoch,
      sentAt: Date.now(),
    });
    await this.client.publishAsync(topics.heartbeat(this.id), encodeJson(hb), { qos: 1 });
  }
}
