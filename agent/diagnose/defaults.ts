/**
 * Bounds of a diagnose run. Each check has its own timeout, and the whole run stops starting
 * checks once `totalMs` is spent, so the command ends within 40 s whatever the network does
 * (the process's own start-up takes the rest).
 */
export const diagnoseDefaults = {
  timeouts: {
    dnsMs: 3_000,
    tcpMs: 5_000,
    proxyConnectMs: 6_000,
    tlsMs: 6_000,
    mqttMs: 6_000,
    clockMs: 5_000,
  },
  /** Every check of every path and the clock check start and end within this. */
  totalMs: 34_000,
  /** Clock skew that breaks nothing yet but is worth fixing. */
  skewWarnMs: 60_000,
  /** Beyond this, certificates look not-yet-valid or expired and IoT refuses signed requests. */
  skewFailMs: 5 * 60_000,
  /** A device certificate expiring sooner than this is a warning. */
  certExpiryWarnMs: 30 * 24 * 3600 * 1000,
} as const;

export type DiagnoseTimeouts = { readonly [K in keyof typeof diagnoseDefaults.timeouts]: number };
