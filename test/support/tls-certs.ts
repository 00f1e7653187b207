/**
 * Certificates for TLS tests that the dev CA does not issue: a CA of any name (an intercepting
 * proxy's, a transparent interceptor's) and server certificates with chosen names and dates
 * (expired, not yet valid, for another host).
 */
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0] & typeof webcrypto;
x509.cryptoProvider.set(crypto);

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface TestCa {
  readonly certPem: string;
  readonly keyPem: string;
  readonly commonName: string;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly cert: x509.X509Certificate;
}

export interface TestServerCert {
  readonly certPem: string;
  readonly keyPem: string;
}

const serial = (): string => {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
};

const keyPem = (key: webcrypto.CryptoKey): string =>
  KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();

export async function createTestCa(commonName: string): Promise<TestCa> {
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 365 * DAY_MS),
    keys,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keyPem(keys.privateKey), commonName, keys, cert };
}

/** A server certificate from a test CA; PEM `certPem` holds the leaf only. */
export async function issueTestServerCert(
  ca: TestCa,
  options: {
    readonly dnsNames?: readonly string[];
    readonly ips?: readonly string[];
    readonly notBefore?: Date;
    readonly notAfter?: Date;
  } = {},
): Promise<TestServerCert> {
  const keys = (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const altNames: x509.JsonGeneralNames = [
    ...(options.dnsNames ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [options.dnsNames?.[0] ?? 'localhost'] }],
    issuer: ca.cert.subjectName,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(altNames),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keyPem(keys.privateKey) };
}

export const daysAgo = (days: number): Date => new Date(Date.now() - days * DAY_MS);
