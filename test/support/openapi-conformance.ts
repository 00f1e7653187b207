/**
 * Checks API answers against the OpenAPI document itself (not against the zod schemas it came from):
 * the document's JSON Schema 2020-12 for a route and status, compiled by Ajv with the document's own
 * components, so a handler and its documentation cannot drift apart unnoticed.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => Ajv2020;

const DOC_ID = 'openapi.json';
const pointerToken = (token: string): string =>
  encodeURIComponent(token.replaceAll('~', '~0').replaceAll('/', '~1'));

export interface ConformanceChecker {
  /** The schema errors of `body` as the answer of `routeKey` with `status`; [] when it conforms. */
  errors(routeKey: string, status: number, body: unknown): string[];
}

export function conformanceChecker(document: object): ConformanceChecker {
  // Not strict: the document has OpenAPI members (paths, info) around its schemas.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, DOC_ID);
  const compiled = new Map<string, ValidateFunction>();
  return {
    errors(routeKey, status, body) {
      const [method, path] = routeKey.split(' ');
      if (method === undefined || path === undefined) throw new Error(`malformed route key ${routeKey}`);
      const pointer = ['paths', path, method.toLowerCase(), 'responses', String(status), 'content']
        .concat(['application/json', 'schema'])
        .map(pointerToken)
        .join('/');
      const ref = `${DOC_ID}#/${pointer}`;
      let validate = compiled.get(ref);
      if (!validate) {
        if (ajv.getSchema(ref) === undefined)
          throw new Error(`${routeKey} documents no JSON body for ${status}`);
        validate = ajv.compile({ $ref: ref });
        compiled.set(ref, validate);
      }
      return validate(body)
        ? []
        : (validate.errors ?? []).map(
            (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
          );
    },
  };
}
