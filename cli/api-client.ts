/** A small client of the operator API (bearer token, JSON), for fleetpulse. */
import type { BatchRowView, BatchView, Paged, SessionRowView, SessionView } from '#lambdas/api/sessions.ts';
import type { InventoryChangesPage, InventoryView } from '#lambdas/inventory/read-model.ts';
import type { PatchDeviceLabels } from '#protocol/api/labels.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiTarget {
  readonly apiUrl: string;
  readonly token: string;
  /** What to check when the API cannot be reached: where this target's URL came from. */
  readonly unreachableHint?: string;
}

/** For a URL read from the local cloud's endpoints.json: the usual cause is a cloud not running. */
export const LOCAL_CLOUD_HINT = 'is `npm start` running?';
export const GIVEN_URL_HINT = 'check --api-url (or FLEETPULSE_API_URL)';

export type DeviceView = Record<string, unknown> & { deviceId: string };

/** A request with an optional JSON body; the parsed JSON answer, or an ApiError with the API's message. */
export async function requestJson(
  target: ApiTarget,
  path: string,
  init: { readonly method?: string; readonly body?: unknown } = {},
): Promise<unknown> {
  const url = new URL(
    path.replace(/^\//, ''),
    target.apiUrl.endsWith('/') ? target.apiUrl : `${target.apiUrl}/`,
  );
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND, a timeout) is what helps.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    const hint = target.unreachableHint ?? `${LOCAL_CLOUD_HINT} (or ${GIVEN_URL_HINT})`;
    throw new Error(`cannot reach the operator API at ${url.origin} (${why}) — ${hint}`);
  }
  const text = await response.text();
  let answer: unknown;
  try {
    answer = text === '' ? undefined : JSON.parse(text);
  } catch {
    answer = text;
  }
  if (!response.ok) {
    const message =
      typeof answer === 'object' && answer !== null && 'message' in answer
        ? String(answer.message)
        : text || response.statusText;
    throw new ApiError(response.status, `${response.status} ${message}`);
  }
  return answer;
}

const getJson = (target: ApiTarget, path: string): Promise<unknown> => requestJson(target, path);

export interface DeviceFilter {
  readonly status?: string;
  readonly group?: string;
  readonly site?: string;
  readonly tag?: string;
}

export async function listDevices(target: ApiTarget, filter: DeviceFilter): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let cursor: string | null | undefined;
  do {
    const query = new URLSearchParams({ limit: '200' });
    for (const key of ['status', 'group', 'site', 'tag'] as const) {
      const value = filter[key];
      if (value) query.set(key, value);
    }
    if (cursor) query.set('cursor', cursor);
    const page = (await getJson(target, `devices?${query}`)) as {
      items?: DeviceView[];
      nextCursor?: string | null;
    };
    devices.push(...(page.items ?? []));
    cursor = page.nextCursor;
  } while (cursor);
  return devices;
}

export async function getDevice(target: ApiTarget, deviceId: string): Promise<DeviceView> {
  return (await getJson(target, `devices/${encodeURIComponent(deviceId)}`)) as DeviceView;
}

/** PATCH /devices/{id}: a merge-patch of the device's labels; the device as it now is. */
export async function patchDeviceLabels(
  target: ApiTarget,
  deviceId: string,
  patch: PatchDeviceLabels,
): Promise<DeviceView> {
  return (await requestJson(target, `devices/${encodeURIComponent(deviceId)}`, {
    method: 'PATCH',
    body: patch,
  })) as DeviceView;
}

export async function getInventory(
  target: ApiTarget,
  deviceId: string,
  sections?: readonly string[],
): Promise<InventoryView> {
  const query =
    sections && sections.length > 0 ? `?${new URLSearchParams({ sections: sections.join(',') })}` : '';
  return (await getJson(
    target,
    `devices/${encodeURIComponent(deviceId)}/inventory${query}`,
  )) as InventoryView;
}

export async function listInventoryChanges(
  target: ApiTarget,
  deviceId: string,
  page: { limit?: number; cursor?: string },
): Promise<InventoryChangesPage> {
  const query = new URLSearchParams();
  if (page.limit !== undefined) query.set('limit', String(page.limit));
  if (page.cursor !== undefined) query.set('cursor', page.cursor);
  const suffix = query.size > 0 ? `?${query}` : '';
  return (await getJson(
    target,
    `devices/${encodeURIComponent(deviceId)}/inventory/changes${suffix}`,
  )) as InventoryChangesPage;
}

/** A time range and a page of a sessions or batches listing. */
export interface ListPage {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

function listQuery(page: ListPage): string {
  const query = new URLSearchParams();
  for (const key of ['from', 'to', 'limit', 'cursor'] as const) {
    if (page[key] !== undefined) query.set(key, String(page[key]));
  }
  return query.size > 0 ? `?${query}` : '';
}

const sessionPath = (deviceId: string, sessionId: string): string =>
  `devices/${encodeURIComponent(deviceId)}/sessions/${encodeURIComponent(sessionId)}`;

export async function listSessions(
  target: ApiTarget,
  deviceId: string,
  page: ListPage,
): Promise<Paged<SessionRowView>> {
  return (await getJson(
    target,
    `devices/${encodeURIComponent(deviceId)}/sessions${listQuery(page)}`,
  )) as Paged<SessionRowView>;
}

export async function getSession(
  target: ApiTarget,
  deviceId: string,
  sessionId: string,
): Promise<SessionView> {
  return (await getJson(target, sessionPath(deviceId, sessionId))) as SessionView;
}

export async function listSessionBatches(
  target: ApiTarget,
  deviceId: string,
  sessionId: string,
  page: ListPage,
): Promise<Paged<BatchRowView>> {
  return (await getJson(
    target,
    `${sessionPath(deviceId, sessionId)}/batches${listQuery(page)}`,
  )) as Paged<BatchRowView>;
}

export async function getSessionBatch(
  target: ApiTarget,
  deviceId: string,
  sessionId: string,
  seq: number,
): Promise<BatchView> {
  return (await getJson(target, `${sessionPath(deviceId, sessionId)}/batches/${seq}`)) as BatchView;
}
