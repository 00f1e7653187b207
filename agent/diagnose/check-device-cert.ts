/**
 * The device's own certificate: readable, within its validity dates (and not about to leave
 * them), and matching its private key. The CN is shown: the local cloud requires it to equal the
 * device id; AWS IoT does not.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AgentConfig } from '../config.ts';
import type { TlsIdentity } from '../transport/transport.ts';
import { diagnoseDefaults } from './defaults.ts';
import { errorMessage, fail, type Outcome, ok, warn } from './outcome.ts';
import type { CheckName } from './report.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface DeviceIdentityCheck {
  readonly rows: readonly { readonly check: CheckName; readonly outcome: Outcome }[];
  /** Absent when the files cannot be read or do not match: the TLS and MQTT checks are skipped. */
  readonly identity?: TlsIdentity;
}

type IdentityPaths = Pick<AgentConfig, 'certPath' | 'keyPath' | 'caPath' | 'deviceId' | 'region'>;

async function readPem(path: string, setting: string): Promise<string | Outcome> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    return fail(
      `cannot read ${path}: ${errorMessage(err)}`,
      `check agent.json ${setting} and the file's permissions`,
    );
  }
}

export async function checkDeviceIdentity(
  config: IdentityPaths,
  now = Date.now(),
): Promise<DeviceIdentityCheck> {
  const [cert, key, ca] = await Promise.all([
    readPem(config.certPath, 'certPath'),
    readPem(config.keyPath, 'keyPath'),
    config.caPath === undefined ? undefined : readPem(config.caPath, 'caPath'),
  ]);
  const caRows =
    ca === undefined
      ? []
      : [
          {
            check: 'ca-file' as const,
            outcome: typeof ca === 'string' ? ok(`${config.caPath} is readable`) : ca,
          },
        ];
  if (typeof cert !== 'string') return { rows: [{ check: 'cert-validity', outcome: cert }, ...caRows] };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    const outcome = fail(
      `${config.certPath} is not a PEM certificate: ${errorMessage(err)}`,
      'check agent.json certPath',
    );
    return { rows: [{ check: 'cert-validity', outcome }, ...caRows] };
  }
  const validity = { check: 'cert-validity' as const, outcome: validityOutcome(x509, config, now) };
  const keyRow = {
    check: 'cert-key' as const,
    outcome: typeof key === 'string' ? keyMatches(x509, key, config.keyPath) : key,
  };
  const rows = [validity, keyRow, ...caRows];
  if (typeof key !== 'string' || keyRow.outcome.result !== 'ok' || typeof ca === 'object') return { rows };
  return { rows, identity: ca === undefined ? { cert, key } : { cert, key, ca } };
}

export function commonName(x509: X509Certificate): string | undefined {
  return /^CN=(.*)$/m.exec(x509.subject)?.[1];
}

export function validityOutcome(
  x509: X509Certificate,
  config: Pick<IdentityPaths, 'deviceId' | 'region'>,
  now: number,
): Outcome {
  const cn = commonName(x509);
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  const day = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const span = `valid ${day(from)} to ${day(to)}`;
  const who = `CN=${cn ?? '(none)'}`;
  if (now < from) {
    return fail(`${who} not valid yet: ${span}`, "check this machine's clock; else issue a new certificate");
  }
  if (now > to) {
    return fail(
      `${who} expired: ${span}`,
      'issue a new device certificate (fleetpulse devices register) and register it',
    );
  }
  if (config.region === 'local' && cn !== config.deviceId) {
    return fail(
      `${who} differs from deviceId ${config.deviceId}: ${span}`,
      'the local cloud requires CN = deviceId: re-register the device',
    );
  }
  const daysLeft = Math.floor((to - now) / DAY_MS);
  if (to - now < diagnoseDefaults.certExpiryWarnMs) {
    return warn(
      `${who} expires in ${daysLeft} days: ${span}`,
      'issue and register a new device certificate before it expires',
    );
  }
  return ok(`${who}, ${span} (${daysLeft} days left)`);
}

function keyMatches(x509: X509Certificate, keyPem: string, keyPath: string): Outcome {
  try {
    return x509.checkPrivateKey(createPrivateKey(keyPem))
      ? ok(`${keyPath} matches the certificate`)
      : fail(
          `${keyPath} does not belong to the certificate`,
          'point keyPath at the key the certificate was issued for',
        );
  } catch (err) {
    return fail(`${keyPath} is not a usable private key: ${errorMessage(err)}`, 'check agent.json keyPath');
  }
}
