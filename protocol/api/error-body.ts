/**
 * The body of every error answer of the operator API, whoever gives it: a handler (lambdas/commons/
 * http.ts maps named errors to statuses), API Gateway (401/403/404/413/429 before any handler runs),
 * or the local cloud's stand-in for it. One shape, so a client reads `message` and nothing else.
 */
import * as z from 'zod';

export const ErrorBodySchema = z
  .object({ message: z.string().describe('What went wrong, for a person to read') })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
