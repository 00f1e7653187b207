/**
 * Session files in logind's format (as under /run/systemd/sessions) for the analyzer of an agent
 * run where logind is absent (this container): agent.json `analyzerSessionsDir` points at them.
 * The sessions belong to the current user, so the sampler attributes that user's processes to them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export async function writeLogindSessions(dir: string, count: number, startedAt = Date.now()): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { uid, username } = userInfo();
  for (let i = 1; i <= count; i++) {
    const lines = [
      `UID=${uid}`,
      `USER=${username}`,
      'ACTIVE=1',
      'STATE=active',
      'CLASS=user',
      'TYPE=tty',
      `TTY=tty${i}`,
      'REMOTE=0',
      `REALTIME=${(startedAt - i * 1000) * 1000}`,
    ];
    await writeFile(join(dir, String(i)), `${lines.join('\n')}\n`);
  }
}
