import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { HeflError } from '../../common/errors/index.js';
import { COORDINATOR_FILES, MEMBER_FILES } from '../../common/identity/identity-layout.js';
import { FOLDER_CONFIG_FILE, type FolderConfig, readFolderConfig } from './folder-config.js';

/** Options that take a `HEFL_*` variable (`--log-level` -> HEFL_LOG_LEVEL) and, but for dir, a config key. */
const CONFIGURABLE = [
  'dir',
  'coordinator',
  'data',
  'input',
  'mapping',
  'label',
  'columns',
  'policy',
  'logLevel',
  'host',
  'port',
  'metricsPort',
] as const;

/** Files that mark a folder as hefl's (so `--dir` may default to the current folder). */
const FOLDER_MARKERS = [FOLDER_CONFIG_FILE, MEMBER_FILES.member, COORDINATOR_FILES.signingKey];

/**
 * Gives every command configuration files and environment variables, without each command
 * knowing: before a command parses its flags, the folder it runs on (`--dir`, else
 * `HEFL_DIR`, else the current folder when it holds a hefl folder) lends it the values of
 * its `hefl.yaml`, then each option in CONFIGURABLE takes `HEFL_<NAME>` if set; the flags,
 * parsed after, override both. Precedence: flag > HEFL_* > hefl.yaml > default. (Set here,
 * not with commander's `.env()`, whose listener exists only for options declared with it;
 * `.env()` is still set so `--help` names the variable.)
 */
export function applyFolderConfig(program: Command): void {
  const walk = (command: Command) => {
    for (const option of command.options as Option[]) {
      const name = option.attributeName();
      if ((CONFIGURABLE as readonly string[]).includes(name)) option.env(envName(name));
    }
    if (command.commands.length > 0) {
      command.hook('preSubcommand', async (parent, sub) => {
        if (sub.commands.length > 0) return; // a group (e.g. `site`): its own hook handles the leaf
        await lendConfig(sub, parent.args.slice(1));
      });
    }
    for (const sub of command.commands) walk(sub);
  };
  walk(program);
}

function envName(attribute: string): string {
  return `HEFL_${attribute.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

async function lendConfig(leaf: Command, args: readonly string[]): Promise<void> {
  const options = new Map((leaf.options as Option[]).map((o) => [o.attributeName(), o]));
  const dirOption = options.get('dir');
  if (!dirOption) return;
  const dir = dirFrom(args) ?? process.env.HEFL_DIR ?? currentHeflFolder();
  if (dir === undefined) return;
  if (leaf.getOptionValue('dir') === undefined) leaf.setOptionValueWithSource('dir', dir, 'config');
  const config: FolderConfig = await readFolderConfig(resolve(dir));
  const file = join(dir, FOLDER_CONFIG_FILE);
  for (const [key, value] of Object.entries(config)) {
    const option = options.get(key);
    if (option && value !== undefined)
      leaf.setOptionValueWithSource(key, parse(option, String(value), `${file}: ${key}`), 'config');
  }
  // Then the variables, over the file (flags, parsed next, override both).
  for (const [key, option] of options) {
    const value = (CONFIGURABLE as readonly string[]).includes(key) ? process.env[envName(key)] : undefined;
    if (value !== undefined && key !== 'dir')
      leaf.setOptionValueWithSource(key, parse(option, value, envName(key)), 'env');
  }
}

function parse(option: Option, value: string, where: string): unknown {
  try {
    return option.parseArg ? option.parseArg(value, undefined) : value;
  } catch (error) {
    throw new HeflError('invalid_config', `${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** `--dir X` or `--dir=X` among the leaf's raw arguments. */
function dirFrom(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--dir') return args[i + 1];
    if (args[i]!.startsWith('--dir=')) return args[i]!.slice('--dir='.length);
  }
  return undefined;
}

function currentHeflFolder(): string | undefined {
  const cwd = process.cwd();
  return FOLDER_MARKERS.some((f) => existsSync(join(cwd, f))) ? cwd : undefined;
}
