import { describe, expect, it } from 'vitest';
import { parseCpuTicks, parseVmRssKiB, summarize } from '#bench/proc-sampler.ts';

describe('procfs footprint readings', () => {
  it('reads VmRSS in KiB from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t   61234 kB\nRssAnon:\t   20000 kB\n';

    expect(parseVmRssKiB(status)).toBe(61234);
  });

  it('adds utime and stime from /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    // Fields 14 and 15 are 250 and 50; the name "(my (agent) x)" would shift a naive split.
    const stat = '4242 (my (agent) x) S 1 4242 4242 0 -1 4194304 1000 0 0 0 250 50 0 0 20 0 11 0';

    expect(parseCpuTicks(stat)).toBe(300);
  });

  it('rejects a status without VmRSS (a kernel thread, or a process already gone)', () => {
    expect(() => parseVmRssKiB('Name:\tkthreadd\n')).toThrow(/VmRSS/);
  });

  it('summarises RSS median and max and CPU % of one core after the warm-up only', () => {
    const readings = [
      { atMs: 0, rssKiB: 200 * 1024, cpuTicks: 0 },
      { atMs: 10_000, rssKiB: 60 * 1024, cpuTicks: 500 },
      { atMs: 20_000, rssKiB: 62 * 1024, cpuTicks: 505 },
      { atMs: 30_000, rssKiB: 61 * 1024, cpuTicks: 510 },
    ];

    const summary = summarize(readings, 10_000);

    // 10 ticks (0.1 s of CPU) over 20 s: 0.5 % of one core; the 200 MB start-up is not counted.
    expect(summary).toEqual({ samples: 3, seconds: 20, rssMedianMB: 61, rssMaxMB: 62, cpuPercent: 0.5 });
  });
});
