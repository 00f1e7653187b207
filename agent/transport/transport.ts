/**
 * The seam between the connection lifecycle and how bytes reach the endpoint. One file per way
 * (direct TLS, TLS on 443 with ALPN, through an HTTP CONNECT proxy), all behind this interface,
 * picked in one place (index.ts): like MQTT.js `src/lib/connect/`, a new way in is a new file, not
 * an edit to the connection.
 *
 * A transport opens and verifies the secured socket itself (handshake.ts), so that every way it
 * can fail is named before mqtt.js writes its CONNECT on it.
 */
import type { Connectivity } from '#protocol/heartbeat.ts';
import type { HandshakeFacts } from './handshake.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The device's X.509 identity, PEM-encoded. */
export interface TlsIdentity {
  readonly cert: string;
  readonly key: string;
  /** Absent: Node's bundled trust store (which holds Amazon Root CA 1). */
  readonly ca?: string;
}

/** An HTTP CONNECT proxy the connection is tunnelled through. */
export interface ProxySettings {
  /** http://host[:port] of the proxy; never holds credentials (it is reported in heartbeats). */
  readonly url: string;
  /** Sent as `Proxy-Authorization: Basic …`. */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** Bound on TCP to the proxy + CONNECT + its `200`, before TLS to the endpoint starts. */
  readonly connectTimeoutMs: number;
}

/** What a transport needs to know: where to go, as whom, and through what. */
export interface TransportTarget {
  readonly endpoint: Endpoint;
  readonly identity: TlsIdentity;
  /** Absent: straight to the endpoint. */
  readonly proxy?: ProxySettings;
  /** Ask for ALPN x-amzn-mqtt-ca. @default true on port 443 only */
  readonly alpn?: boolean;
}

export interface Transport {
  /** How the heartbeat names the way the device is connected. */
  readonly kind: Connectivity['transport'];
  readonly endpoint: Endpoint;
  /** The proxy URL the connection goes through (no credentials), or null when direct. */
  readonly proxy: string | null;
  /** `direct` or `proxy http://host:port`: how logs, heartbeats and diagnose name this path. */
  readonly path: string;
  /** ALPN protocol the server must select, when the port calls for one. */
  readonly alpn?: string;
  /**
   * Opens TCP (through the proxy's tunnel), runs TLS and verifies it: resolves with the secured
   * socket for mqtt.js; rejects with a named error (ProxyError, TlsInterceptionError,
   * TlsHandshakeError, or Node's socket error) within `timeoutMs`.
   */
  open(timeoutMs: number): Promise<HandshakeFacts>;
}
