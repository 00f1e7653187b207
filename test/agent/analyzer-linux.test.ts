import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LinuxSession,
  listLogindSessions,
  parseShowSession,
  sessionFromStateFile,
} from '#agent/analyzer/linux/logind.ts';
import {
  ProcessTable,
  parseCgroupSession,
  parseDiskstats,
  parseNetDev,
  parseStat,
} from '#agent/analyzer/linux/procfs.ts';
import { LinuxSampler } from '#agent/analyzer/linux/sampler.ts';
import { analyzerSessionId, LinuxAnalyzerSource } from '#agent/analyzer/linux/source.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('procfs parsing', () => {
  it('reads stat fields after a comm that holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[14 - 3] = '120'; // utime
    fields[15 - 3] = '30'; // stime
    fields[24 - 3] = '256'; // rss pages
    fields[9 - 3] = String(0x00200000); // PF_KTHREAD
    const parsed = parseStat(`42 (my (odd) proc) ${fields.join(' ')}`);
    expect(parsed).toEqual({
      comm: 'my (odd) proc',
      cpuTicks: 150,
      rssPages: 256,
      flags: 0x00200000,
      startTicks: 22,
    });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('finds the logind session in a cgroup path, and none outside one', () => {
    expect(parseCgroupSession('0::/user.slice/user-1000.slice/session-3.scope\n')).toBe('3');
    expect(
      parseCgroupSession('0::/user.slice/user-1000.slice/user@1000.service/app.slice\n'),
    ).toBeUndefined();
    expect(parseCgroupSession('0::/\n')).toBeUndefined();
  });

  it('counts whole disks once (no partitions, loop or device-mapper) and every interface but loopback', () => {
    const disks = [
      '   8       0 sda 10 0 100 0 5 0 50 0 0 0 0',
      '   8       1 sda1 10 0 100 0 5 0 50 0 0 0 0',
      ' 259       0 nvme0n1 1 0 7 0 1 0 3 0 0 0 0',
      ' 259       1 nvme0n1p1 1 0 7 0 1 0 3 0 0 0 0',
      '   7       0 loop0 1 0 999 0 1 0 999 0 0 0 0',
      ' 253       0 dm-0 1 0 999 0 1 0 999 0 0 0 0',
    ].join('\n');
    expect(parseDiskstats(disks)).toBe(150 + 10);
    const net = [
      'Inter-|   Receive',
      ' face |bytes packets',
      '    lo: 1000 1 0 0 0 0 0 0 1000 1 0 0 0 0 0 0',
      '  eth0: 200 2 0 0 0 0 0 0 300 3 0 0 0 0 0 0',
      '  wlan0: 5 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0',
    ].join('\n');
    expect(parseNetDev(net)).toEqual({ rx: 205, tx: 307 });
  });
});

describe('logind sessions', () => {
  it('takes user sessions only and maps state and hints', () => {
    const file = (extra: string) => `UID=1000\nUSER=ada\nACTIVE=1\nSTATE=active\nTYPE=wayland\n${extra}`;
    expect(sessionFromStateFile('2', file('CLASS=greeter\n'))).toBeUndefined();
    expect(sessionFromStateFile('2', file('CLASS=user\n'))?.state).toBe('active');
    expect(sessionFromStateFile('2', file('CLASS=user\n'), { idle: true, locked: true })?.state).toBe(
      'locked',
    );
    expect(sessionFromStateFile('2', file('CLASS=user\n'), { idle: true, locked: false })?.state).toBe(
      'idle',
    );
    expect(
      sessionFromStateFile('2', file('CLASS=user\nREMOTE=1\n').replace('STATE=active', 'STATE=closing')),
    ).toMatchObject({
      state: 'disconnected',
      remote: true,
      user: 'ada',
      type: 'wayland',
    });
    expect(
      parseShowSession('Id=2\nIdleHint=yes\nLockedHint=no\n\nId=5\nIdleHint=no\nLockedHint=yes\n'),
    ).toEqual(
      new Map([
        ['2', { idle: true, locked: false }],
        ['5', { idle: false, locked: true }],
      ]),
    );
  });

  it('lists the session files that exist, and says there is no source where logind is absent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-logind-'));
    dirs.push(dir);
    await writeFile(join(dir, '3'), 'UID=1000\nUSER=ada\nCLASS=user\nSTATE=active\n');
    await writeFile(join(dir, '4'), 'UID=0\nUSER=gdm\nCLASS=greeter\n');
    const sessions = await listLogindSessions(
      dir,
      async () => new Map([['3', { idle: true, locked: false }]]),
    );
    expect(sessions?.map((s) => [s.id, s.user, s.state])).toEqual([['3', 'ada', 'idle']]);
    expect(await listLogindSessions(join(dir, 'absent'))).toBeUndefined();
  });

  it('gives the cloud session ids that a reboot does not reuse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fp-logind-'));
    dirs.push(dir);
    const uid = process.getuid?.() ?? 0;
    await writeFile(
      join(dir, '3'),
      `UID=${uid}\nUSER=ada\nCLASS=user\nSTATE=active\nREALTIME=1717401600123456\n`,
    );
    const source = new LinuxAnalyzerSource(dir);
    const sessions = await source.sessions();
    expect(sessions).toEqual([{ id: `3-${(1717401600).toString(36)}`, user: 'ada', state: 'active' }]);
    expect(analyzerSessionId({ id: '3', startedAt: 1717488000000 })).not.toBe(sessions?.[0]?.id);
    await source.sample(sessions ?? [], Date.now() - 1000);
    const samples = await source.sample(sessions ?? [], Date.now());
    expect([...samples.keys()]).toEqual(sessions?.map((s) => s.id));
  });
});

describe('Linux sampler on this machine', () => {
  it('reads this process from /proc under its executable name', async () => {
    const processes = new ProcessTable().read();
    const self = processes.find((p) => p.pid === process.pid);
    expect(self?.name).toMatch(/^node/);
    expect(self?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(self?.uid).toBe(process.getuid?.());
  });

  it("samples a session's apps with the CPU they used in the interval", async () => {
    const cgroup = await readFile('/proc/self/cgroup', 'utf8');
    const session: LinuxSession = {
      id: parseCgroupSession(cgroup) ?? 'test-1',
      uid: process.getuid?.() ?? 0,
      user: 'test',
      type: 'tty',
      remote: false,
      state: 'active',
      startedAt: 0,
    };
    const sampler = new LinuxSampler();
    const t0 = Date.now();
    expect((await sampler.sample([session], t0)).size).toBe(0);
    const busyUntil = performance.now() + 300;
    let spins = 0;
    while (performance.now() < busyUntil) spins++;
    const samples = await sampler.sample([session], Math.max(Date.now(), t0 + 1));
    const sample = samples.get(session.id);
    const node = sample?.apps.find((a) => a.app.startsWith('node'));
    expect(spins).toBeGreaterThan(0);
    expect(node?.procs).toBeGreaterThanOrEqual(1);
    expect(node?.cpuPct).toBeGreaterThan(0);
    expect(sample?.memPct).toBeGreaterThan(0);
    expect(sample?.memPct).toBeLessThanOrEqual(100);
  });
});
