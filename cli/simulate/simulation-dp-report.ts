import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BudgetStore } from '../../client-node/index.js';
import type { SimulationDpSettings } from './simulation-job-spec.js';
import type { SimulationResult, SiteDpAccount } from './simulation-options.js';

/**
 * What the job cost each site: the epsilon in its budget ledger and its own accounting from
 * its signed audit log (`site.accepted` details.privacy).
 */
export async function simulationDpReport(
  siteDirs: readonly string[],
  jobHash: string,
  dp: SimulationDpSettings,
): Promise<NonNullable<SimulationResult['dp']>> {
  const spentBySite: Record<string, number> = {};
  const sites: Record<string, SiteDpAccount> = {};
  for (const dir of siteDirs) {
    const spent = await BudgetStore.readSpent(dir);
    const site = basename(dir);
    spentBySite[site] = spent.filter((s) => s.jobHash === jobHash).reduce((a, s) => a + s.epsilon, 0);
    const account = await acceptedPrivacy(join(dir, 'audit.jsonl'), jobHash);
    if (account) sites[site] = account;
  }
  const sigmas = Object.values(sites).map((s) => s.noiseMultiplier);
  return {
    unit: dp.unit,
    epsilonSpent: Math.max(0, ...Object.values(spentBySite)),
    delta: dp.delta,
    noiseMultiplier: dp.unit === 'record' ? Math.max(0, ...sigmas) : dp.noiseMultiplier,
    spentBySite,
    sites,
  };
}

/** The privacy a site recorded when it accepted the job (its latest acceptance), if any. */
async function acceptedPrivacy(auditPath: string, jobHash: string): Promise<SiteDpAccount | undefined> {
  let text: string;
  try {
    text = await readFile(auditPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let found: SiteDpAccount | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = JSON.parse(line) as {
      action?: string;
      details?: { jobHash?: string; privacy?: SiteDpAccount };
    };
    if (entry.action === 'site.accepted' && entry.details?.jobHash === jobHash && entry.details.privacy) {
      const { epsilon, epsilonAccounted, noiseMultiplier, samplingRate, steps } = entry.details.privacy;
      found = {
        epsilon,
        noiseMultiplier,
        ...(epsilonAccounted !== undefined ? { epsilonAccounted } : {}),
        ...(samplingRate !== undefined ? { samplingRate } : {}),
        ...(steps !== undefined ? { steps } : {}),
      };
    }
  }
  return found;
}
