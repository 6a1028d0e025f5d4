import { z } from 'zod';
import { jobSpecSchema } from './job-spec.js';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
};

let cached: JsonSchema | undefined;

/**
 * The job file format as JSON Schema (draft 2020-12), generated from the zod schema that
 * validates jobs, so editors can complete and check job files (`hefl job schema`). It
 * describes the input form (defaults optional). zod checks it cannot express (e.g.
 * minSites <= maxSites) are only enforced by hefl itself.
 */
export function jobJsonSchema(): JsonSchema {
  cached ??= {
    ...(z.toJSONSchema(jobSpecSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema),
    title: 'hefl job file',
    description: 'A federated training job for hefl (hefl job submit FILE).',
  };
  return cached;
}

/** The keys the job format allows in the object at `path` (union variants merged); [] if none. */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let nodes: JsonSchema[] = [jobJsonSchema()];
  for (const segment of path) {
    nodes = nodes.flatMap(variants).flatMap((node) => {
      if (typeof segment === 'number') {
        const item = node.prefixItems?.[segment] ?? node.items;
        return item ? [item] : [];
      }
      const child = node.properties?.[String(segment)];
      return child ? [child] : [];
    });
  }
  return [...new Set(nodes.flatMap(variants).flatMap((n) => Object.keys(n.properties ?? {})))];
}

function variants(node: JsonSchema): JsonSchema[] {
  const alternatives = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return alternatives.length === 0 ? [node] : alternatives.flatMap(variants);
}
