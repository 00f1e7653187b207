/**
 * `fleetpulse-agent diagnose`: what an admin checks before roll-out. Exit 0 when at least one path
 * can connect, 1 when none can, 2 for a bad config or bad usage, so a roll-out script can gate on it.
 */
import { Command, type CommanderError } from 'commander';
import { ConfigError, loadAgentConfig } from '#agent/config.ts';
import { renderReport } from '#agent/diagnose/render.ts';
import { exitCodeOf } from '#agent/diagnose/report.ts';
import { runDiagnose } from '#agent/diagnose/runner.ts';

export const USAGE_EXIT_CODE = 2;

/** Ends the process once `text` is written: a DNS lookup that never answers must not keep it alive. */
function finish(text: string, stream: NodeJS.WriteStream, code: number): void {
  stream.write(text, () => process.exit(code));
}

async function diagnose(opts: { config: string; json?: boolean }): Promise<void> {
  let config: Awaited<ReturnType<typeof loadAgentConfig>>;
  try {
    config = await loadAgentConfig(opts.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    finish(`fleetpulse-agent diagnose: ${err.message}\n`, process.stderr, USAGE_EXIT_CODE);
    return;
  }
  const report = await runDiagnose(config);
  const text = opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report);
  finish(text, process.stdout, exitCodeOf(report));
}

export function diagnoseCommand(): Command {
  return new Command('diagnose')
    .description(
      'check every network path to the endpoint (DNS, TCP, proxy CONNECT, TLS, MQTT CONNECT), the device certificate and the clock; exit 0 when a path connects, 1 when none does, 2 on a bad config',
    )
    .option('-c, --config <path>', 'agent.json', 'agent.json')
    .option('--json', 'print the report as JSON')
    .exitOverride((err: CommanderError) => {
      process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT_CODE);
    })
    .action(diagnose);
}
