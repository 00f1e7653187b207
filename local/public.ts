/**
 * The local cloud's public surface for tools outside it (the CLI): the dev CA that signs device
 * certificates, and how local Lambda functions are named. Everything else under local/ is
 * internal and may change without the CLI noticing; test/unit/layering.test.ts holds cli/ to this.
 */
export { type DevCa, ensureDevCa, type IssuedCert, issueDeviceCert } from './dev-ca.ts';
export { lambdaFunctionName } from './lambda-context.ts';
