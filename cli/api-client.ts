/** A small client of the operator API (bearer token, JSON), for fleetpulse. */
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
}

export type DeviceView = Record<string, unknown> & { deviceId: string };

async function getJson(target: ApiTarget, path: string): Promise<unknown> {
  const url = new URL(
    path.replace(/^\//, ''),
    target.apiUrl.endsWith('/') ? target.apiUrl : `${target.apiUrl}/`,
  );
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    // fetch says only "fetch failed"; the cause (ECONNREFUSED, ENOTFOUND, a timeout) is what helps.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new Error(
      `cannot reach the API at ${url.origin} (${why}): check --api-url, or start the local cloud (npm start)`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body
        ? String(body.message)
        : text || response.statusText;
    throw new ApiError(response.status, `${response.status} ${message}`);
  }
  return body;
}

export async function listDevices(target: ApiTarget, filter: { status?: string }): Promise<DeviceView[]> {
  const devices: DeviceView[] = [];
  let cursor: string | null | undefined;
  do {
    const query = new URLSearchParams({ limit: '200' });
    if (filter.status) query.set('status', filter.status);
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
