/**
 * fleetpulse-agent: runs the device agent on this machine, with real collectors.
 */
import { Command } from 'commander';
import { Agent } from '#agent/agent.ts';
import { LinuxAnalyzerSource } from '#agent/analyzer/linux/source.ts';
import { ConfigError, loadAgentConfig } from '#agent/config.ts';
import { realAgentModules } from '#agent/real-modules.ts';
import { handleStopSignals } from '#agent/stop-signals.ts';
import { AGENT_VERSION } from '#agent/version.ts';
import { diagnoseCommand } from '#cli/diagnose-command.ts';

async function run(opts: { config: string }): Promise<void> {
  const config = await loadAgentConfig(opts.config);
  const sessionsDir = config.analyzerSessionsDir;
  const agent = new Agent({
    config,
    modules: realAgentModules(
      sessionsDir === undefined ? {} : { analyzer: { source: new LinuxAnalyzerSource(sessionsDir) } },
    ),
  });
  agent.logger.info('agent starting', {
    version: AGENT_VERSION,
    endpoint: `${config.endpoint}:${config.port}`,
    region: config.region,
    dataDir: config.dataDir,
  });
  const stopSignals = handleStopSignals({
    onStopping: (signal) => agent.logger.info('stopping', { signal }),
    onForced: (signal) => agent.logger.warn('stop forced by a repeated signal', { signal }),
    onStopFailed: (err) =>
      agent.logger.error('stop failed', { error: err instanceof Error ? err.message : String(err) }),
  });
  await agent.start();
  stopSignals.started(async () => {
    await agent.stop();
    agent.logger.info('stopped');
  });
}

const program = new Command('fleetpulse-agent')
  .description(
    'The fleetpulse device agent: heartbeats, inventory, session analyzer, store-and-forward, commands, over MQTT with mutual TLS.',
  )
  .version(AGENT_VERSION)
  .showHelpAfterError();

program
  .command('run')
  .description('run the agent in the foreground until SIGINT/SIGTERM')
  .requiredOption('-c, --config <path>', 'agent.json (as written by `fleetpulse devices register`)')
  .action(run);

program.addCommand(diagnoseCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(
    `fleetpulse-agent: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}`,
  );
  process.exitCode = 1;
}
