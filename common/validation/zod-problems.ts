import type { z } from 'zod';

/**
 * Every problem zod found, as `path: message` lines — the form all hefl parsers report in
 * (a job file, a site policy, a manifest, a ledger). The path is dotted with array indices
 * as numbers (`hidden.2`), under `root` when given (`strategy.beta1`); a problem with the
 * value itself is reported at `root`, or `(root)`.
 */
export function zodProblems(error: z.ZodError, root?: string): string[] {
  return error.issues.map((issue) => {
    const path = [...(root ? [root] : []), ...issue.path.map(String)].join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
}
