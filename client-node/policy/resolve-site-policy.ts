import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { HeflError } from '../../common/errors/index.js';
import { defaultSitePolicy, loadSitePolicy, type SitePolicy } from './site-policy.js';

/** Names a site folder's policy file may have; `hefl site policy init` writes the first. */
export const SITE_POLICY_FILES = ['site-policy.yaml', 'site-policy.json'] as const;

export interface ResolvedSitePolicy {
  readonly policy: SitePolicy;
  /** The file it came from; undefined when the site has none and runs on the defaults. */
  readonly path: string | undefined;
}

/**
 * The policy a site runs under: `policyPath` if given (it must exist), else the site
 * folder's `site-policy.yaml` or `site-policy.json`, else `defaultSitePolicy()`. Both
 * files present is `invalid_config` (which one counts would be a guess).
 */
export async function resolveSitePolicy(options: {
  readonly dir: string;
  readonly policyPath?: string | undefined;
}): Promise<ResolvedSitePolicy> {
  if (options.policyPath !== undefined) {
    return { policy: await loadSitePolicy(options.policyPath), path: options.policyPath };
  }
  const present: string[] = [];
  for (const name of SITE_POLICY_FILES) {
    const path = join(options.dir, name);
    if (await exists(path)) present.push(path);
  }
  if (present.length > 1) {
    throw new HeflError(
      'invalid_config',
      `${options.dir} holds both ${SITE_POLICY_FILES.join(' and ')}; keep one`,
    );
  }
  const [path] = present;
  if (path === undefined) return { policy: defaultSitePolicy(), path: undefined };
  return { policy: await loadSitePolicy(path), path };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
