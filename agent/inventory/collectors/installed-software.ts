/**
 * Installed software. systeminformation has no installed-software API, so on Linux we read the
 * package manager's own database (documented fallback): the dpkg status file, or `rpm -qa` with an
 * explicit query format (tab-separated fields, not human-oriented output). Other platforms report
 * the section as unsupported rather than guessing.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { emptyJsonObject, type JsonObject, jsonObjectFromEntries, setKey } from '#protocol/json-object.ts';
import { compact } from './compact.ts';

const execFileAsync = promisify(execFile);
const DPKG_STATUS = '/var/lib/dpkg/status';
const DPKG_INFO = '/var/lib/dpkg/info';

export class UnsupportedPlatformError extends Error {
  override readonly name = 'UnsupportedPlatformError';
}

export async function collectInstalledSoftware(
  platform: NodeJS.Platform = process.platform,
): Promise<JsonObject> {
  if (platform !== 'linux') {
    throw new UnsupportedPlatformError(`installed software is not collected on ${platform} yet`);
  }
  const dpkg = await readFile(DPKG_STATUS, 'utf8').catch(() => undefined);
  if (dpkg !== undefined) return withDpkgInstallDates(parseDpkgStatus(dpkg));
  return collectRpm();
}

interface DpkgPackage {
  name: string;
  arch: string;
  fields: JsonObject;
}

/** Parses the dpkg status file into entries keyed `name:arch` (dpkg's own package identity). */
export function parseDpkgStatus(text: string): DpkgPackage[] {
  const packages: DpkgPackage[] = [];
  for (const stanza of text.split(/\n\n+/)) {
    const field = (name: string): string | undefined => {
      const match = stanza.match(new RegExp(`^${name}: (.*)$`, 'm'));
      const value = match?.[1]?.trim();
      // A copy, not a slice of `text`: a slice keeps the whole status file (1+ MB) in memory for
      // as long as the inventory baseline holds the package's fields.
      return value === undefined ? undefined : Buffer.from(value).toString();
    };
    const name = field('Package');
    const status = field('Status');
    if (name === undefined || status === undefined || !status.endsWith(' installed')) continue;
    const arch = field('Architecture') ?? 'all';
    const installedKiB = Number(field('Installed-Size'));
    packages.push({
      name,
      arch,
      fields: compact({
        name,
        version: field('Version'),
        arch,
        publisher: field('Maintainer')?.replace(/\s*<[^>]*>\s*$/, ''),
        sizeKiB: Number.isFinite(installedKiB) && installedKiB > 0 ? installedKiB : undefined,
        source: 'dpkg',
      }),
    });
  }
  return packages;
}

/** dpkg keeps no install date; the mtime of the package's file list is the usual stand-in. */
async function withDpkgInstallDates(packages: DpkgPackage[]): Promise<JsonObject> {
  const out = emptyJsonObject();
  await Promise.all(
    packages.map(async (pkg) => {
      const listFile = await firstExisting([
        `${DPKG_INFO}/${pkg.name}:${pkg.arch}.list`,
        `${DPKG_INFO}/${pkg.name}.list`,
      ]);
      const installedAt = listFile === undefined ? undefined : Math.floor(listFile.mtimeMs / 1000) * 1000;
      setKey(out, `${pkg.name}:${pkg.arch}`, compact({ ...pkg.fields, installedAt }));
    }),
  );
  return sortKeys(out);
}

async function firstExisting(paths: string[]): Promise<{ mtimeMs: number } | undefined> {
  for (const path of paths) {
    const found = await stat(path).catch(() => undefined);
    if (found !== undefined) return found;
  }
  return undefined;
}

async function collectRpm(): Promise<JsonObject> {
  const { stdout } = await execFileAsync(
    'rpm',
    ['-qa', '--qf', '%{NAME}\\t%{ARCH}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{INSTALLTIME}\\n'],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return sortKeys(parseRpmQuery(stdout));
}

export function parseRpmQuery(stdout: string): JsonObject {
  const out = emptyJsonObject();
  for (const line of stdout.split('\n')) {
    const [name, arch, version, vendor, installTime] = line.split('\t');
    if (!name || !arch || name === 'gpg-pubkey') continue;
    const installedSec = Number(installTime);
    setKey(
      out,
      `${name}:${arch}`,
      compact({
        name,
        version: version?.replace(/^0:/, ''),
        arch,
        publisher: vendor === '(none)' ? undefined : vendor,
        installedAt: Number.isFinite(installedSec) && installedSec > 0 ? installedSec * 1000 : undefined,
        source: 'rpm',
      }),
    );
  }
  return out;
}

function sortKeys(map: JsonObject): JsonObject {
  return jsonObjectFromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
