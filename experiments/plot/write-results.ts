import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderVegaLiteSvg, type VegaLiteSpec } from './render-vega-lite-svg.js';

/** What one experiment leaves in its results folder, all under the same base name. */
export interface ResultFiles {
  readonly json: unknown;
  readonly markdown: string;
  readonly plot: VegaLiteSpec;
}

/**
 * Writes `<name>.json`, `<name>.md` and `<name>.svg` into `outDir` (created if needed) and
 * returns the paths written. JSON is pretty-printed with a final newline, so diffs stay small.
 */
export async function writeResults(outDir: string, name: string, files: ResultFiles): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const paths = ['json', 'md', 'svg'].map((ext) => join(outDir, `${name}.${ext}`));
  const [jsonPath, mdPath, svgPath] = paths as [string, string, string];
  await writeFile(jsonPath, `${JSON.stringify(files.json, null, 2)}\n`);
  await writeFile(mdPath, files.markdown.endsWith('\n') ? files.markdown : `${files.markdown}\n`);
  await writeFile(svgPath, await renderVegaLiteSvg(files.plot));
  return paths;
}
