/** The PAC evaluator (pac-resolver on QuickJS) over PAC files on disk: answers, faults, cache. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacError, PacProxyFinder } from '#agent/transport/pac/index.ts';

const endpoint = { host: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 443 };

describe('PAC files', () => {
  let dir: string;
  const finder = (options = {}) => new PacProxyFinder(options);
  async function pacFile(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, body);
    return pathToFileURL(path).href;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-pac-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('calls FindProxyForURL with the endpoint as an https URL and its host, and keeps the PROXY entries in order', async () => {
    const url = await pacFile(
      'corp.pac',
      `function FindProxyForURL(url, host) {
         if (shExpMatch(url, "https://${endpoint.host}*") && dnsDomainIs(host, ".amazonaws.com")) return "PROXY 10.1.2.3:3128; PROXY backup.corp:8080; DIRECT";
         return "DIRECT";
       }`,
    );

    const answer = await finder().find(url, endpoint);

    expect(answer).toEqual({ proxies: ['http://10.1.2.3:3128', 'http://backup.corp:8080'], skipped: [] });
  });

  it('names a PAC that is not JavaScript', async () => {
    const url = await pacFile('broken.pac', 'function FindProxyForURL(url, host) { return "PROXY a:1" ');

    await expect(finder().find(url, endpoint)).rejects.toThrow(PacError);
  });

  it('interrupts a FindProxyForURL that never returns', async () => {
    const url = await pacFile('loop.pac', 'function FindProxyForURL(url, host) { for (;;) {} }');

    await expect(finder({ evalTimeoutMs: 200 }).find(url, endpoint)).rejects.toThrow(
      /FindProxyForURL failed: did not return within 200 ms/,
    );
  });

  it('refuses a PAC file over the size limit', async () => {
    const url = await pacFile(
      'huge.pac',
      `// ${'x'.repeat(2_000)}\nfunction FindProxyForURL() { return "DIRECT"; }`,
    );

    await expect(finder({ maxBytes: 1_000 }).find(url, endpoint)).rejects.toThrow(/over the 1000-byte limit/);
  });

  it('names a PAC file that does not exist', async () => {
    await expect(finder().find(pathToFileURL(join(dir, 'absent.pac')).href, endpoint)).rejects.toThrow(
      /cannot read PAC file .*absent\.pac/,
    );
  });

  it('keeps a fetched PAC until told its paths failed, then reads it again', async () => {
    const url = await pacFile('changing.pac', 'function FindProxyForURL() { return "PROXY one:1"; }');
    const f = finder();
    await f.find(url, endpoint);
    await pacFile('changing.pac', 'function FindProxyForURL() { return "PROXY two:2"; }');

    const cached = await f.find(url, endpoint);
    f.invalidate(url);
    const refetched = await f.find(url, endpoint);

    expect(cached.proxies).toEqual(['http://one:1']);
    expect(refetched.proxies).toEqual(['http://two:2']);
  });
});
