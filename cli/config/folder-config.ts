import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HeflError } from '../../common/errors/index.js';
import { writePublicFile } from '../../common/identity/key-files.js';
import { zodProblems } from '../../common/validation/zod-problems.js';

export const FOLDER_CONFIG_FILE = 'hefl.yaml';

const text = z.string().min(1).max(4096);
const folderConfigSchema = z.strictObject({
  version: z.literal(1),
  coordinator: text.optional(),
  data: text.optional(),
  input: text.optional(),
  mapping: text.optional(),
  label: text.optional(),
  columns: text.optional(),
  policy: text.optional(),
  logLevel: text.optional(),
  host: text.optional(),
  port: z.union([text, z.number().int()]).optional(),
  metricsPort: z.union([text, z.number().int()]).optional(),
});

/**
 * A folder's defaults for the options of the commands run on it (`hefl.yaml` in the site,
 * coordinator or researcher folder). Keys are option names in camelCase (`logLevel` for
 * `--log-level`); values go through the option's own parser, so a bad one is reported like
 * a bad flag. Precedence: a flag, then its `HEFL_*` variable, then this file, then the default.
 */
export type FolderConfig = Readonly<Omit<z.output<typeof folderConfigSchema>, 'version'>>;

/** The folder's config; empty without a file; `invalid_config` naming every problem. */
export async function readFolderConfig(dir: string): Promise<FolderConfig> {
  const path = join(dir, FOLDER_CONFIG_FILE);
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return {};
    throw new HeflError('invalid_config', `cannot read ${path}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch (error) {
    throw new HeflError('invalid_config', `${path} is not valid YAML`, { cause: error });
  }
  const result = folderConfigSchema.safeParse(parsed);
  if (!result.success) {
    throw new HeflError('invalid_config', `${path} is invalid: ${zodProblems(result.error).join('; ')}`);
  }
  const { version: _version, ...config } = result.data;
  return config;
}

/** Writes a folder's config with a comment saying what overrides it (replacing an existing one). */
export async function writeFolderConfig(
  dir: string,
  config: FolderConfig,
  writtenBy: string,
): Promise<string> {
  const path = join(dir, FOLDER_CONFIG_FILE);
  const lines = [
    `# hefl defaults for commands run on this folder (written by ${writtenBy}).`,
    '# A flag overrides a HEFL_* environment variable, which overrides this file.',
    'version: 1',
    ...Object.entries(config)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`),
  ];
  await writePublicFile(path, `${lines.join('\n')}\n`, { overwrite: true });
  return path;
}
