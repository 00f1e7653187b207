/**
 * The analyzer's view of a Linux machine: logind sessions, sampled from procfs. logind numbers
 * sessions from 1 again after a reboot, so a session's id for the cloud carries its start time.
 */
import type { AnalyzerSample } from '#protocol/analyzer.ts';
import type { AnalyzedSession, AnalyzerSource } from '../runtime.ts';
import { type LinuxSession, listLogindSessions } from './logind.ts';
import { LinuxSampler, type LinuxSamplerOptions } from './sampler.ts';

export function analyzerSessionId(session: Pick<LinuxSession, 'id' | 'startedAt'>): string {
  return `${session.id}-${Math.floor(session.startedAt / 1000).toString(36)}`;
}

export class LinuxAnalyzerSource implements AnalyzerSource {
  private readonly sampler: LinuxSampler;
  private linux = new Map<string, LinuxSession>();

  constructor(
    private readonly sessionsDir = '/run/systemd/sessions',
    options: LinuxSamplerOptions = {},
  ) {
    this.sampler = new LinuxSampler(options);
  }

  async sessions(): Promise<AnalyzedSession[] | undefined> {
    const found = await listLogindSessions(this.sessionsDir);
    if (found === undefined) return undefined;
    this.linux = new Map(found.map((s) => [analyzerSessionId(s), s]));
    return [...this.linux].map(([id, s]) => ({ id, user: s.user, state: s.state }));
  }

  async sample(sessions: readonly AnalyzedSession[], at: number): Promise<Map<string, AnalyzerSample>> {
    const wanted = sessions
      .map((s) => this.linux.get(s.id))
      .filter((s): s is LinuxSession => s !== undefined);
    const byLinuxId = await this.sampler.sample(wanted, at);
    const samples = new Map<string, AnalyzerSample>();
    for (const s of wanted) {
      const sample = byLinuxId.get(s.id);
      if (sample !== undefined) samples.set(analyzerSessionId(s), sample);
    }
    return samples;
  }
}
