/**
 * The local cloud's development certificate authority. Created on first start under
 * `.local-cloud/ca/` (gitignored) and kept, so registered devices stay valid across restarts.
 *
 * New keys are ECDSA P-256 (AWS IoT Core accepts them for devices and CAs): generating one takes
 * well under a millisecond, where an RSA-2048 key took ~335 ms and made a 2,000-device fleet wait
 * 13 minutes for its identities. A CA created by an earlier run with an RSA key keeps working: it
 * signs new certificates with RSA, and the RSA device certificates it issued stay on disk, valid.
 * Certificates are built with @peculiar/x509 on Node's WebCrypto.
 */
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export interface DevCa {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssuedCert {
  readonly certPem: string;
  readonly keyPem: string;
}

type WebCrypto = Parameters<typeof x509.cryptoProvider.set>[0];
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

const crypto = webcrypto as unknown as WebCrypto & typeof webcrypto;
x509.cryptoProvider.set(crypto);

const CA_NAME = 'CN=fleetpulse local dev CA, O=fleetpulse (local cloud\\, not for production)';
const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const RSA_SIGNING: webcrypto.RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
const DAY_MS = 24 * 3600 * 1000;

async function newEcKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function privateKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function serial(): string {
  // Positive 128-bit serial (leading nibble < 8 keeps the DER integer positive).
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(years: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + years * 365 * DAY_MS) };
}

interface CaSigner {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
  readonly algorithm: Algorithm;
  readonly authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

/** Parsed once per CA: a fleet issues thousands of certificates with the same one. */
const signers = new WeakMap<DevCa, Promise<CaSigner>>();

async function loadSigner(ca: DevCa): Promise<CaSigner> {
  const keyObject = createPrivateKey(ca.keyPem);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const rsa = keyObject.asymmetricKeyType === 'rsa';
  const algorithm = rsa ? RSA_SIGNING : { name: 'ECDSA', namedCurve: 'P-256' };
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  const cert = new x509.X509Certificate(ca.certPem);
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(cert, false, crypto);
  return { cert, key, algorithm: rsa ? RSA_SIGNING : EC_SIGNING, authorityKeyId };
}

function signer(ca: DevCa): Promise<CaSigner> {
  let loading = signers.get(ca);
  if (!loading) {
    loading = loadSigner(ca);
    signers.set(ca, loading);
  }
  return loading;
}

async function createCa(): Promise<DevCa> {
  const keys = await newEcKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: CA_NAME,
    ...validity(10),
    keys,
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: privateKeyPem(keys.privateKey) };
}

/** Loads the CA from `dir`, creating it on first use. */
export async function ensureDevCa(dir: string): Promise<DevCa> {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key.pem');
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { certPem, keyPem };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true });
  const ca = await createCa();
  await writeFile(keyPath, ca.keyPem, { mode: 0o600 });
  await writeFile(certPath, ca.certPem);
  return ca;
}

async function issue(
  ca: DevCa,
  commonName: string,
  usage: 'client' | 'server',
  altNames: x509.JsonGeneralNames = [],
): Promise<IssuedCert> {
  const caSigner = await signer(ca);
  const keys = await newEcKeyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([
      usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    caSigner.authorityKeyId,
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    // The JSON form, not a DN string: a device id is data, never parsed as RFC 4514 syntax.
    subject: [{ CN: [commonName] }],
    // The CA's own encoded name, so the chain matches byte for byte whatever encoded it.
    issuer: caSigner.cert.subjectName,
    ...validity(usage === 'server' ? 2 : 5),
    publicKey: keys.publicKey,
    signingKey: caSigner.key,
    signingAlgorithm: caSigner.algorithm,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: privateKeyPem(keys.privateKey) };
}

/** A device certificate: CN = device id = thing name = MQTT client id. */
export function issueDeviceCert(ca: DevCa, deviceId: string): Promise<IssuedCert> {
  return issue(ca, deviceId, 'client');
}

/** The broker's and data-plane's server certificate, valid for localhost and 127.0.0.1. */
export function issueServerCert(ca: DevCa): Promise<IssuedCert> {
  return issue(ca, 'localhost', 'server', [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ]);
}
