import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zodProblems } from './zod-problems.js';

describe('zodProblems', () => {
  const schema = z.object({ name: z.string(), hidden: z.array(z.number().int()) }).strict();

  it('lists every problem as path: message, array indices included', () => {
    const result = schema.safeParse({ name: 3, hidden: [1, 2.5], extra: true });
    expect(result.success).toBe(false);
    const problems = zodProblems(result.error!);
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('name: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('hidden.1: '))).toBe(true);
    expect(problems.some((p) => p.startsWith('(root): ') && p.includes('extra'))).toBe(true);
  });

  it('puts paths under a root name when given, and names the root itself by it', () => {
    expect(zodProblems(schema.safeParse({ name: 'a', hidden: ['x'] }).error!, 'spec')[0]).toMatch(
      /^spec\.hidden\.0: /,
    );
    expect(zodProblems(schema.safeParse(7).error!, 'spec')[0]).toMatch(/^spec: /);
  });
});
