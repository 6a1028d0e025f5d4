import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MEMBER_FILES } from '../../common/identity/index.js';
import type { ReportVerifyOptions } from '../audit/verify-for-report.js';

/** What the dashboard reads from a folder: the log to show, how to verify it, whose jobs to list. */
export interface DashboardSources {
  /** The coordinator log; undefined when the folder holds none (the audit page says so). */
  readonly log?: string;
  /** Anchor and evidence, as `hefl audit export` takes them. */
  readonly verify: ReportVerifyOptions;
  /** A researcher folder whose signed APIs list the jobs; undefined: no job list. */
  readonly researcherDir?: string;
}

const has = (path: string) => existsSync(path);

/**
 * Finds the pieces in `dir`: a member folder (researcher or auditor: its pinned
 * `coordinator.json` is the trust anchor) or a `hefl simulate --out` folder
 * (`coordinator/`, `sites/*`, `researcher/`). `log` overrides where the coordinator log is.
 */
export function findDashboardSources(dir: string, log?: string): DashboardSources {
  const member = [dir, join(dir, 'researcher'), join(dir, 'auditor')].find((d) =>
    has(join(d, MEMBER_FILES.coordinator)),
  );
  const coordinatorLog = log ?? [join(dir, 'audit.jsonl'), join(dir, 'coordinator', 'audit.jsonl')].find(has);
  const manifest = [join(dir, 'coordinator', 'manifest.json'), join(dir, 'manifest.json')].find(has);
  const sitesDir = join(dir, 'sites');
  const siteLog = has(sitesDir)
    ? readdirSync(sitesDir)
        .map((s) => join(sitesDir, s, 'audit.jsonl'))
        .filter(has)
    : [];
  const researcherDir = [dir, join(dir, 'researcher')].find(isResearcher);
  return {
    ...(coordinatorLog === undefined ? {} : { log: coordinatorLog }),
    verify: {
      ...(member === undefined ? {} : { auditorDir: member }),
      ...(member !== undefined && manifest !== undefined ? { manifest } : {}),
      siteLog,
      ...(researcherDir !== undefined && has(join(researcherDir, 'audit-heads.jsonl'))
        ? { researcherRecord: [researcherDir] }
        : {}),
    },
    ...(researcherDir === undefined ? {} : { researcherDir }),
  };
}

function isResearcher(dir: string): boolean {
  try {
    const member = JSON.parse(readFileSync(join(dir, MEMBER_FILES.member), 'utf8')) as { role?: unknown };
    return member.role === 'researcher';
  } catch {
    return false;
  }
}
