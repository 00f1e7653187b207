/** The policy the cloud gives each agent (intervals, analyzer, proxies), and the agent's request for it. */
import * as z from 'zod';

export const ProxySchema = z.object({
  url: z.string().regex(/^http:\/\/[^\s/]+(:\d+)?\/?$/, 'proxy url must be http://host[:port]'),
  user: z.string().max(256).optional(),
  /** Base64-encoded password, as operators paste it into the policy. */
  passwordB64: z.string().max(1024).optional(),
});

/** Where a PAC file is fetched from (http, https, or a file on the device). */
export const PacUrlSchema = z
  .string()
  .max(2048)
  .regex(/^(https?|file):\/\/\S+$/, 'pacUrl must be an http://, https:// or file:// URL');

export const PolicyDocumentSchema = z.object({
  version: z.number().int().nonnegative(),
  heartbeatIntervalSec: z.number().int().min(10).max(3600).default(60),
  inventoryIntervalSec: z.number().int().min(60).max(86_400).default(900),
  analyzer: z
    .object({
      enabled: z.boolean().default(true),
      sampleIntervalSec: z.number().int().min(5).max(600).default(15),
      uploadIntervalSec: z.number().int().min(60).max(3600).default(300),
    })
    .default({ enabled: true, sampleIntervalSec: 15, uploadIntervalSec: 300 }),
  /** Ordered HTTP CONNECT proxies; when non-empty they replace agent.json's list. */
  proxies: z.array(ProxySchema).max(16).default([]),
  /** Proxy auto-configuration file, used when no proxy list is set (policy's, else agent.json's). */
  pacUrl: PacUrlSchema.optional(),
});
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

export const PolicyRequestSchema = z.object({
  /** The version the agent runs now; the cloud answers only if it has a newer one. */
  currentVersion: z.number().int().nonnegative(),
});
export type PolicyRequest = z.infer<typeof PolicyRequestSchema>;
