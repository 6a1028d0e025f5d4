import { join } from 'node:path';
import { type DpBudget, type DpUnit, parseDpBudget, recordSpend } from '../../common/dp/dp-budget.js';
import { HeflError } from '../../common/errors/index.js';
import { readJsonFile, toJsonText } from '../../common/identity/json-file.js';
import { writePrivateKeyFile } from '../../common/identity/key-files.js';
import type { SitePolicy } from './site-policy.js';

/** What the site node needs of the ledger (an in-memory fake fits this too). */
export interface PrivacyBudgetLedger {
  /** The ledger now: the policy's total and delta, and what every job has spent. */
  current(): DpBudget;
  /**
   * Records `epsilon` spent by job `jobHash` (added to that job's earlier spending) and
   * persists it before resolving. Throws `failed_precondition` if it does not fit the
   * budget; then nothing is recorded and the job must not send anything more.
   */
  spend(jobHash: string, epsilon: number, unit?: DpUnit): Promise<DpBudget>;
}

/**
 * A site's privacy ledger on disk: `privacy-budget.json` in the site folder, owner-only
 * (0600) and replaced atomically on every spend, so a crash leaves the old or the new ledger,
 * never half of one. The policy is the authority on the total and the per-job delta (hospital
 * IT may change them); the file is the authority on what has been spent. A missing file is an
 * empty ledger; an unreadable or invalid one stops the site (it is never reset silently).
 * Spends are serialised, so two jobs accepted at once cannot both take the last epsilon.
 * One process (the site node) writes it; `hefl site budget` only reads.
 */
export class BudgetStore implements PrivacyBudgetLedger {
  static readonly FILE = 'privacy-budget.json';
  readonly path: string;
  private ledger: DpBudget;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, ledger: DpBudget) {
    this.path = path;
    this.ledger = ledger;
  }

  /** Opens (without creating) the ledger of the site folder `dir` under the policy's budget. */
  static async open(dir: string, policyBudget: SitePolicy['budget']): Promise<BudgetStore> {
    const spent = await BudgetStore.readSpent(dir);
    const ledger = parseDpBudget({
      epsilonTotal: policyBudget.epsilon,
      delta: policyBudget.delta,
      spent: spent.map((entry) => ({ ...entry })),
    });
    return new BudgetStore(path(dir), ledger);
  }

  /**
   * What the ledger of the site folder `dir` records as spent, checked as the site checks it
   * (none when there is no file; `invalid_data` naming every problem for an invalid one).
   * For readers beside the site node (`hefl simulate`'s privacy report).
   */
  static async readSpent(dir: string): Promise<DpBudget['spent']> {
    const file = path(dir);
    let stored: unknown;
    try {
      stored = await readJsonFile(file, 'privacy budget');
    } catch (error) {
      if (HeflError.is(error, 'not_found')) return [];
      throw error;
    }
    try {
      return parseDpBudget(stored).spent;
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new HeflError('invalid_data', `privacy budget ${file} is invalid: ${detail}`, { cause: error });
    }
  }

  current(): DpBudget {
    return this.ledger;
  }

  spend(jobHash: string, epsilon: number, unit?: DpUnit): Promise<DpBudget> {
    const run = async () => {
      const next = recordSpend(this.ledger, jobHash, epsilon, unit);
      await writePrivateKeyFile(this.path, toJsonText(next), { overwrite: true });
      this.ledger = next;
      return next;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function path(dir: string): string {
  return join(dir, BudgetStore.FILE);
}
