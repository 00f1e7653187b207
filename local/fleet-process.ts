/**
 * The simulated fleet's own process: N real agents (TLS handshakes, report building, compression)
 * on their own core, so they never hold the broker's event loop. Started and stopped by
 * local/fleet.ts over IPC. It stops when told to, and also when its parent goes away without
 * telling it (kill -9 of the cloud closes the IPC channel): a fleet never outlives its cloud.
 */

import { simulatedAnalyzerModule } from '#simulator/analyzer/module.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { simulatedInventoryModule } from '#simulator/inventory/module.ts';
import { ensureDevCa, issueDeviceCert } from './dev-ca.ts';
import type { FromFleet, ToFleet } from './fleet-protocol.ts';

if (!process.send) throw new Error('fleet-process.ts runs as a child process with an IPC channel');

const send = (message: FromFleet): void => {
  if (process.connected) process.send?.(message);
};

let fleet: SimulatedFleet | undefined;
let stopping: Promise<void> | undefined;

function stop(): Promise<void> {
  stopping ??= (async () => {
    await fleet?.stop();
    send({ kind: 'stopped' });
    // The parent may have gone first (its own stop, Ctrl-C to the group): disconnecting twice throws.
    if (process.connected) process.disconnect?.();
    process.exit(0);
  })();
  return stopping;
}

// Ctrl-C reaches the whole process group; the cloud stops the fleet first, in order, over IPC.
process.on('SIGINT', () => undefined);
process.on('disconnect', () => void stop());

process.on('message', (message: ToFleet) => {
  if (message.kind === 'stop') {
    void stop();
    return;
  }
  const { settings } = message;
  void (async () => {
    try {
      const ca = await ensureDevCa(settings.caDir);
      fleet = await startSimulatedFleet({
        count: settings.count,
        mqttUrl: settings.mqttUrl,
        ...(settings.alpn ? { alpn: true } : {}),
        caCertPath: settings.caCertPath,
        issueIdentity: (deviceId) => issueDeviceCert(ca, deviceId),
        identityDir: settings.identityDir,
        heartbeatIntervalSec: settings.heartbeatIntervalSec,
        // Simulated hosts churn (installs, service restarts, IP changes) every pass.
        modules: (deviceId, seed, host) => [
          simulatedInventoryModule(deviceId, seed, { intervalMs: settings.inventoryIntervalMs }),
          ...(settings.analyzer ? [simulatedAnalyzerModule(deviceId, seed, host, settings.analyzer)] : []),
        ],
        log: settings.log,
        ...(settings.poweredOff === undefined ? {} : { poweredOff: settings.poweredOff }),
      });
      if (stopping) return;
      send({
        kind: 'started',
        deviceIds: fleet.deviceIds,
        online: fleet.agents.filter((agent) => agent.isConnected()).length,
      });
    } catch (err) {
      send({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    }
  })();
});
