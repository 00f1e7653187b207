import type { TLSSocket } from 'node:tls';
import { TlsHandshakeError, TlsInterceptionError } from '../transport/errors.ts';
import { type HandshakeOptions, tlsHandshake } from '../transport/handshake.ts';
import { AWS_IOT_ALPN } from '../transport/tls-alpn-443.ts';
import type { Endpoint } from '../transport/transport.ts';
import { errorCode, errorMessage, fail, type Outcome, ok } from './outcome.ts';

/** The handshake's own options: the check runs exactly what the agent runs. */
export type TlsCheckOptions = HandshakeOptions;

export type TlsCheck = { readonly outcome: Outcome; readonly socket?: TLSSocket };

export async function checkTls(options: TlsCheckOptions): Promise<TlsCheck> {
  const { endpoint, alpn } = options;
  try {
    const facts = await tlsHandshake(options);
    const leaf = facts.chain[0];
    const server =
      leaf === undefined ? 'no certificate' : `server certificate ${leaf.subject} issued by "${leaf.issuer}"`;
    const alpnText = alpn === undefined ? '' : `, ALPN ${facts.alpn ?? 'none'}`;
    return { outcome: ok(`${facts.protocol ?? 'TLS'}${alpnText}, ${server}`), socket: facts.socket };
  } catch (err) {
    return { outcome: tlsFailure(err, endpoint, alpn) };
  }
}

export function tlsFailure(err: unknown, endpoint: Endpoint, alpn: string | undefined): Outcome {
  const where = `${endpoint.host}:${endpoint.port}`;
  if (err instanceof TlsInterceptionError) {
    return fail(
      err.message,
      `exempt ${endpoint.host} from SSL inspection in the proxy or firewall (the agent never trusts a re-signed certificate)`,
    );
  }
  const code = err instanceof TlsHandshakeError ? err.code : errorCode(err);
  const message = errorMessage(err);
  switch (code) {
    case 'TUNNEL_HANG':
      return fail(message, `allow ${where} through the proxy (it accepts CONNECT but relays nothing)`);
    case 'TLS_TIMEOUT':
      return fail(message, `check that ${where} is the MQTT endpoint and speaks TLS on this port`);
    case 'ALPN_REFUSED':
      return fail(
        message,
        `use port 8883, or an endpoint that takes MQTT on 443 with ALPN ${alpn ?? AWS_IOT_ALPN} (AWS IoT's ATS endpoint)`,
      );
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return fail(message, "check this machine's clock (see the clock check), then the endpoint");
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail(
        message,
        'set agent.json endpoint to the ATS host name (aws iot describe-endpoint --endpoint-type iot:Data-ATS)',
      );
    case 'ECONNRESET':
      return fail(
        `${where} closed the connection during TLS: ${message}`,
        'check that the device certificate is registered and active, and that no firewall resets TLS to this host',
      );
    case 'ECONNREFUSED':
      return fail(
        `nothing listens on ${where} (connection refused)`,
        `open TCP ${endpoint.port} to ${endpoint.host}`,
      );
    default:
      return fail(
        `TLS with ${where} failed: ${message}`,
        `check caPath in agent.json and the endpoint's certificate`,
      );
  }
}
