/** Calls to the commands API of a test cloud, and waits on a command's state. */
import type { CommandDetail, DeviceOutcome } from '#protocol/api/commands.ts';
import type { TestCloud } from './local-cloud.ts';
import { waitFor } from './wait.ts';

export interface ApiResponse {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  readonly body: any;
}

export async function callApi(
  t: TestCloud,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${t.endpoints.apiToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Every page of the command's detail: the command, and all its outcomes. */
export async function commandDetail(
  t: TestCloud,
  commandId: string,
  limit = 500,
): Promise<{ command: CommandDetail['command']; devices: DeviceOutcome[]; pages: number }> {
  const devices: DeviceOutcome[] = [];
  let cursor: string | null = null;
  let command: CommandDetail['command'] | undefined;
  let pages = 0;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await callApi(t, 'GET', `/commands/${commandId}${query}`);
    if (res.status !== 200)
      throw new Error(`GET /commands/${commandId}: ${res.status} ${JSON.stringify(res.body)}`);
    const detail = res.body as CommandDetail;
    command = detail.command;
    devices.push(...detail.devices.items);
    cursor = detail.devices.nextCursor;
    pages++;
  } while (cursor !== null);
  if (command === undefined) throw new Error('no command');
  return { command, devices, pages };
}

export async function waitForOutcome(
  t: TestCloud,
  commandId: string,
  deviceId: string,
  states: readonly string[],
  timeoutMs = 15_000,
): Promise<DeviceOutcome> {
  return waitFor(
    async () => {
      const { devices } = await commandDetail(t, commandId);
      const outcome = devices.find((d) => d.deviceId === deviceId);
      return outcome && states.includes(outcome.state) ? outcome : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `${deviceId} ${states.join('|')} for ${commandId}` },
  );
}

/** Makes `deviceId` known to the cloud (one connect, seen by the API), then leaves it offline. */
export async function registerOfflineDevice(t: TestCloud, deviceId: string): Promise<void> {
  const client = await t.deviceClient(deviceId);
  await waitFor(
    async () => ((await callApi(t, 'GET', `/devices/${deviceId}`)).status === 200 ? true : undefined),
    { timeoutMs: 10_000, intervalMs: 100, what: `${deviceId} registered` },
  );
  await client.endAsync(true);
}
