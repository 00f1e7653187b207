/**
 * What the inventory benches share: the handlers' domain functions (loaded only after the local
 * cloud has set the environment) and a seeded simulated device as the agent drives it.
 */
import { buildReport, MemorySequenceStore, type ReportBaseline } from '#agent/inventory/index.ts';
import type { InventoryDeps } from '#lambdas/inventory/deps.ts';
import type { Report } from '#protocol/inventory.ts';
import { createRng, hashString, type Rng, SimulatedHost } from '#simulator/inventory/generated-host.ts';

export const AGENT_VERSION = '0.1.0';
export const COLLECTED_AT_BASE = Date.UTC(2024, 5, 1);

export type Domain = {
  ingestReport: typeof import('#lambdas/inventory/apply.ts').ingestReport;
  inventoryDeps: () => InventoryDeps;
  measureWholeItemRewrite: typeof import('#bench/whole-item-cost.ts').measureWholeItemRewrite;
  getInventory: typeof import('#lambdas/inventory/read-model.ts').getInventory;
  getMeta: typeof import('#lambdas/inventory/persistence.ts').getMeta;
  destroyClients: () => void;
};

export async function loadDomain(): Promise<Domain> {
  const [apply, clients, measure, api, store, dynamodb, s3, iotData] = await Promise.all([
    import('#lambdas/inventory/apply.ts'),
    import('#lambdas/inventory/handler-deps.ts'),
    import('#bench/whole-item-cost.ts'),
    import('#lambdas/inventory/read-model.ts'),
    import('#lambdas/inventory/persistence.ts'),
    import('#lambdas/commons/aws/dynamodb.ts'),
    import('#lambdas/commons/aws/s3.ts'),
    import('#lambdas/commons/aws/iot-data.ts'),
  ]);
  return {
    ingestReport: apply.ingestReport,
    inventoryDeps: () => clients.inventoryDeps({ archive: s3.s3, publish: iotData.publishToDevice }),
    measureWholeItemRewrite: measure.measureWholeItemRewrite,
    getInventory: api.getInventory,
    getMeta: store.getMeta,
    destroyClients: () => {
      dynamodb.dynamodb.destroy();
      s3.s3.destroy();
    },
  };
}

/** A seeded simulated device as the agent drives it: host, churn, sequence store, baseline. */
export class BenchDevice {
  readonly host: SimulatedHost;
  readonly seqStore: MemorySequenceStore;
  private readonly churn: Rng;
  private baseline: ReportBaseline | undefined;
  private step = 0;

  constructor(
    readonly id: string,
    seed: number,
  ) {
    const deviceSeed = (seed ^ hashString(id)) >>> 0;
    this.host = new SimulatedHost(deviceSeed, { hostname: id });
    this.churn = createRng(deviceSeed ^ 0x5eed);
    this.seqStore = new MemorySequenceStore(`epoch-${id}`);
  }

  /**
   * The full report an agent sends when it starts: for the current state (plus one installed
   * package when `addPackage`), from this device's sequence store or another one (a reinstall).
   */
  startReport(seqStore: MemorySequenceStore = this.seqStore, addPackage = false): Report {
    const sections = this.host.sections();
    if (addPackage && sections.software) {
      sections.software['bench-added:amd64'] = { name: 'bench-added', version: '1.0.0', source: 'dpkg' };
    }
    const built = buildReport(
      undefined,
      { sections, errors: [], collectedAt: COLLECTED_AT_BASE + this.step * 900_000 },
      seqStore,
      { agentVersion: AGENT_VERSION },
    );
    if (built === undefined) throw new Error('a start always builds a full report');
    return built.report;
  }

  /** The report for the current state (after one churn step unless it is the first), or undefined. */
  next(): Report | undefined {
    if (this.step > 0) this.host.step(this.churn);
    const built = buildReport(
      this.baseline,
      { sections: this.host.sections(), errors: [], collectedAt: COLLECTED_AT_BASE + this.step * 900_000 },
      this.seqStore,
      { agentVersion: AGENT_VERSION },
    );
    this.step++;
    if (built === undefined) return undefined;
    this.baseline = built.baseline;
    return built.report;
  }
}

export const deviceIds = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, d) => `${prefix}-${String(d).padStart(4, '0')}`);

export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
