/**
 * What runs in a user session on a managed Windows or Linux machine, for the simulated analyzers:
 * executables with how many processes they keep, how much memory, and how they use the CPU when
 * in the foreground, in the background, and never. Figures are typical of a 2020s office fleet
 * (Task Manager and `ps` on such machines), not measurements of any one.
 */

export interface CatalogueApp {
  readonly name: string;
  /** Processes of this executable per session: min..max. */
  readonly procs: readonly [number, number];
  /** Resident memory of all of them, MB: min..max at start; it drifts from there. */
  readonly memMb: readonly [number, number];
  /** CPU share of the machine when it has the foreground and the user works in it, %. */
  readonly activeCpuPct: number;
  /** CPU share in the background, %: a few are busy (sync, calls, indexing), most near zero. */
  readonly backgroundCpuPct: number;
  /** Whether the user works in it (takes the foreground). */
  readonly interactive: boolean;
}

const app = (
  name: string,
  procs: [number, number],
  memMb: [number, number],
  activeCpuPct: number,
  backgroundCpuPct: number,
  interactive = true,
): CatalogueApp => ({ name, procs, memMb, activeCpuPct, backgroundCpuPct, interactive });

/** Always there in a Windows session (shell, input, brokers, agents). */
export const WINDOWS_BASE: readonly CatalogueApp[] = [
  app('explorer.exe', [1, 2], [90, 180], 2, 0.1),
  app('sihost.exe', [1, 1], [25, 40], 0, 0.02, false),
  app('svchost.exe', [4, 9], [40, 120], 0, 0.1, false),
  app('taskhostw.exe', [1, 2], [15, 30], 0, 0.01, false),
  app('RuntimeBroker.exe', [3, 7], [30, 90], 0, 0.02, false),
  app('dllhost.exe', [1, 3], [10, 30], 0, 0.01, false),
  app('conhost.exe', [1, 3], [8, 20], 0, 0, false),
  app('ctfmon.exe', [1, 1], [15, 25], 0, 0.01, false),
  app('SearchHost.exe', [1, 1], [90, 220], 1, 0.02, false),
  app('StartMenuExperienceHost.exe', [1, 1], [60, 110], 1, 0, false),
  app('ShellExperienceHost.exe', [1, 1], [50, 90], 0, 0.01, false),
  app('TextInputHost.exe', [1, 1], [40, 70], 0, 0.01, false),
  app('SecurityHealthSystray.exe', [1, 1], [8, 12], 0, 0, false),
  app('smartscreen.exe', [0, 1], [20, 30], 0, 0, false),
  app('OneDrive.exe', [1, 2], [80, 160], 0, 0.3, false),
  app('msedgewebview2.exe', [4, 12], [180, 480], 0, 0.2, false),
  app('Widgets.exe', [0, 1], [40, 80], 0, 0.01, false),
  app('PhoneExperienceHost.exe', [0, 1], [60, 110], 0, 0.02, false),
  app('SystemSettings.exe', [0, 1], [30, 60], 1, 0, false),
  app('backgroundTaskHost.exe', [0, 2], [15, 40], 0, 0.02, false),
  app('OfficeClickToRun.exe', [0, 1], [40, 90], 0, 0.05, false),
  app('igfxEM.exe', [0, 1], [10, 20], 0, 0, false),
  app('RtkAudUService64.exe', [0, 1], [8, 15], 0, 0.02, false),
];

/** What users work in; a session runs a handful of these. */
export const WINDOWS_APPS: readonly CatalogueApp[] = [
  app('chrome.exe', [8, 32], [700, 3200], 14, 1.2),
  app('msedge.exe', [6, 24], [500, 2400], 12, 0.8),
  app('firefox.exe', [6, 18], [600, 2200], 12, 0.8),
  app('ms-teams.exe', [4, 8], [450, 1300], 9, 2.5),
  app('OUTLOOK.EXE', [1, 1], [250, 600], 5, 0.4),
  app('WINWORD.EXE', [1, 1], [150, 400], 4, 0.05),
  app('EXCEL.EXE', [1, 1], [150, 700], 8, 0.05),
  app('POWERPNT.EXE', [1, 1], [200, 600], 6, 0.05),
  app('Code.exe', [8, 16], [600, 1800], 10, 0.6),
  app('devenv.exe', [1, 3], [800, 2500], 15, 0.8),
  app('slack.exe', [4, 7], [350, 800], 6, 0.4),
  app('Zoom.exe', [2, 4], [200, 500], 20, 0.3),
  app('Acrobat.exe', [1, 3], [150, 500], 5, 0.1),
  app('notepad.exe', [1, 2], [15, 40], 1, 0),
  app('WindowsTerminal.exe', [1, 1], [60, 120], 2, 0.01),
  app('powershell.exe', [1, 3], [60, 150], 6, 0.02),
  app('Spotify.exe', [4, 6], [250, 500], 3, 1),
  app('mstsc.exe', [1, 1], [60, 120], 4, 0.5),
  app('SnippingTool.exe', [0, 1], [50, 90], 3, 0),
  app('SAPlogon.exe', [1, 2], [120, 300], 6, 0.1),
  app('javaw.exe', [1, 2], [300, 900], 10, 0.5),
];

export const LINUX_BASE: readonly CatalogueApp[] = [
  app('systemd', [1, 1], [8, 14], 0, 0.01, false),
  app('gnome-shell', [1, 1], [250, 480], 4, 0.3, false),
  app('gnome-session-binary', [1, 1], [15, 25], 0, 0, false),
  app('pipewire', [1, 2], [15, 40], 0, 0.1, false),
  app('wireplumber', [1, 1], [20, 40], 0, 0.02, false),
  app('dbus-daemon', [1, 2], [5, 10], 0, 0.02, false),
  app('gvfsd', [3, 8], [8, 30], 0, 0, false),
  app('tracker-miner-fs-3', [0, 1], [40, 120], 0, 0.2, false),
  app('evolution-data-server', [1, 3], [30, 90], 0, 0.01, false),
  app('xdg-desktop-portal', [1, 3], [15, 40], 0, 0, false),
  app('ibus-daemon', [1, 4], [10, 30], 0, 0.01, false),
  app('gsd-*', [8, 18], [80, 200], 0, 0.05, false),
  app('bash', [1, 4], [5, 12], 0, 0, false),
];

export const LINUX_APPS: readonly CatalogueApp[] = [
  app('firefox', [6, 18], [600, 2200], 12, 0.8),
  app('chrome', [8, 28], [700, 3000], 14, 1.2),
  app('code', [8, 16], [600, 1800], 10, 0.6),
  app('thunderbird', [1, 3], [250, 600], 4, 0.3),
  app('libreoffice', [1, 2], [150, 500], 5, 0.05),
  app('gnome-terminal-server', [1, 1], [40, 80], 2, 0.01),
  app('slack', [4, 7], [350, 800], 6, 0.4),
  app('teams-for-linux', [4, 8], [400, 1100], 8, 2),
  app('nautilus', [1, 1], [60, 140], 2, 0),
  app('java', [1, 2], [400, 1500], 12, 0.8),
];
