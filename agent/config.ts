/**
 * `agent.json`: where the agent connects, as whom, and where it keeps its state.
 * Relative paths are resolved against the folder holding agent.json, so a device folder written
 * by `fleetpulse devices register` can be moved as a whole.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { DeviceIdSchema } from '#protocol/ids.ts';
import { PacUrlSchema, ProxySchema } from '#protocol/policy.ts';
import { zodIssueLines } from '#protocol/zod-issues.ts';
import { agentDefaults } from './defaults.ts';
import { LOG_LEVELS } from './logger.ts';

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

export const AgentConfigSchema = z
  .object({
    deviceId: DeviceIdSchema,
    /** AWS region of the device's home IoT endpoint ("local" for the local cloud). */
    region: z.string().regex(/^[a-z0-9-]{2,32}$/, 'region must look like eu-west-1 (or "local")'),
    /** Host name of the MQTT endpoint, no scheme or port: abc-ats.iot.eu-west-1.amazonaws.com, 127.0.0.1. */
    endpoint: z
      .string()
      .refine(
        (v) => HOSTNAME.test(v) || IPV4.test(v),
        'endpoint must be a host name or IPv4 address, without scheme or port',
      ),
    /** 8883, or 443 (ALPN x-amzn-mqtt-ca) where only 443 is open. */
    port: z.number().int().min(1).max(65535).default(agentDefaults.port),
    /**
     * Ask for ALPN x-amzn-mqtt-ca (MQTT on an HTTPS port). Absent: only on 443. Set it where a
     * firewall forwards another port to the endpoint's 443, and for the local cloud's 443-style listener.
     */
    alpn: z.boolean().optional(),
    /**
     * The endpoint's HTTPS port (AWS IoT: 443 without ALPN), where `diagnose` reads the server's
     * clock from the Date header.
     */
    httpsPort: z.number().int().min(1).max(65535).default(agentDefaults.httpsPort),
    certPath: z.string().min(1),
    keyPath: z.string().min(1),
    /** Absent: the system trust store (which holds Amazon Root CA 1). */
    caPath: z.string().min(1).optional(),
    dataDir: z.string().min(1),
    /** Overrides the policy's heartbeat interval (tests, troubleshooting). */
    heartbeatIntervalSec: z.number().int().min(1).max(3600).optional(),
    /**
     * Ordered HTTP CONNECT proxies: tried in order, the first that works is kept until it fails,
     * direct when none works. A policy's non-empty list replaces this one.
     */
    proxies: z.array(ProxySchema).max(16).optional(),
    /** Proxy auto-configuration file, used when no proxy list is set. */
    pacUrl: PacUrlSchema.optional(),
    logLevel: z.enum(LOG_LEVELS).default(agentDefaults.logLevel),
    /** false: publish on the plain dt/fleet/... topics (e.g. to watch them with an MQTT client). */
    basicIngest: z.boolean().default(agentDefaults.basicIngest),
    /**
     * For tests and benches only (Linux): logind-format session files are read from this folder
     * instead of /run/systemd/sessions, so the real analyzer runs where logind does not (containers).
     * A real install leaves it out.
     */
    analyzerSessionsDir: z.string().min(1).optional(),
  })
  .strict();

export type AgentConfigInput = z.input<typeof AgentConfigSchema>;
/** A validated config whose paths are absolute. */
export type AgentConfig = z.output<typeof AgentConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates a parsed agent.json and resolves its paths against `baseDir`. */
export function parseAgentConfig(raw: unknown, baseDir: string, source = 'agent.json'): AgentConfig {
  const result = AgentConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = zodIssueLines(result.error);
    throw new ConfigError(`${source} is invalid:\n  ${problems.join('\n  ')}`);
  }
  const config = result.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...config,
    certPath: abs(config.certPath),
    keyPath: abs(config.keyPath),
    ...(config.caPath === undefined ? {} : { caPath: abs(config.caPath) }),
    dataDir: abs(config.dataDir),
    ...(config.analyzerSessionsDir === undefined
      ? {}
      : { analyzerSessionsDir: abs(config.analyzerSessionsDir) }),
  };
}

export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseAgentConfig(raw, dirname(resolve(path)), path);
}
