/**
 * The one way a zod validation failure becomes words: "path.to.field: message", the value itself
 * named `root`. Dead-letter reasons, HTTP 400s, agent config errors and command refusals all read
 * alike. Single-line on purpose (z.prettifyError is multi-line): reasons travel in logs, queue
 * messages and JSON bodies.
 */

/** What is read of a ZodError (structural, so callers need not share this module's zod import). */
interface IssuesOf {
  readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly message: string }>;
}

export interface ZodIssueFormat {
  /** What an issue at the root is called. @default '(root)' */
  readonly root?: string;
  /** At most this many issues; the rest are counted. @default all */
  readonly limit?: number;
}

/** One line per issue. */
export function zodIssueLines(error: IssuesOf, format: ZodIssueFormat = {}): string[] {
  const root = format.root ?? '(root)';
  const limit = format.limit ?? error.issues.length;
  const lines = error.issues
    .slice(0, limit)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : root}: ${issue.message}`);
  const rest = error.issues.length - lines.length;
  return rest > 0 ? [...lines, `and ${rest} more`] : lines;
}

/** The issues on one line, separated by '; '. */
export function formatZodIssues(error: IssuesOf, format: ZodIssueFormat = {}): string {
  return zodIssueLines(error, format).join('; ');
}
