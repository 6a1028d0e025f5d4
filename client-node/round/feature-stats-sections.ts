import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import { featureSalt, type JobSpec } from '../../common/job/job-spec.js';
import type { Section } from '../../common/protocol/section-framing.js';
import { siteDataReportVector } from '../data/data-report.js';
import { type ColumnSpec, computeLocalStats } from '../data/index.js';
import type { SectionMasker } from '../privacy/mask-filter.js';
import { exactSection } from '../round-sections.js';
import type { SiteDataset } from '../site-dataset.js';

/**
 * Round 0's upload: the encrypted feature statistics of the site's training split and,
 * when the job declares features or hashes categorical columns, the encrypted data report
 * (declared codes, values outside the schema, codes found; for the researcher).
 */
export function featureStatsSections(parts: {
  readonly cipher: SiteVectorCipher;
  readonly dataset: SiteDataset;
  readonly schema: readonly ColumnSpec[];
  readonly spec: JobSpec;
  readonly mask: SectionMasker | undefined;
  /** This site's policy minimum cell size (sent one-hot, so all sites use the largest). */
  readonly minCellSize: number;
}): Section[] {
  const { cipher, dataset, mask } = parts;
  const stats = computeLocalStats(dataset.train, [...parts.schema], { salt: featureSalt(parts.spec) });
  const sections = [exactSection(cipher, 'stats', stats, mask)];
  // For the researcher: declared features' totals and codes found in hashed columns.
  const report = siteDataReportVector(
    parts.spec.data,
    featureSalt(parts.spec),
    [dataset.train, dataset.test],
    dataset.findings ?? [],
    parts.minCellSize,
  );
  if (report) sections.push(exactSection(cipher, 'datareport', report, mask));
  return sections;
}
