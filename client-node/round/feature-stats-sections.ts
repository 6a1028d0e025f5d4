import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import { featureSalt, type JobSpec } from '../../common/job/job-spec.js';
import type { Section } from '../../common/protocol/section-framing.js';
import { dataReportVector } from '../data/data-report.js';
import { type ColumnSpec, computeLocalStats } from '../data/index.js';
import type { SectionMasker } from '../privacy/mask-filter.js';
import { exactSection } from '../round-sections.js';
import type { SiteDataset } from '../site-dataset.js';

/**
 * Round 0's upload: the encrypted feature statistics of the site's training split and,
 * when the job declares features, the encrypted totals of declared codes and of values
 * outside the schema (for the researcher's data report).
 */
export function featureStatsSections(parts: {
  readonly cipher: SiteVectorCipher;
  readonly dataset: SiteDataset;
  readonly schema: readonly ColumnSpec[];
  readonly spec: JobSpec;
  readonly mask: SectionMasker | undefined;
}): Section[] {
  const { cipher, dataset, mask } = parts;
  const stats = computeLocalStats(dataset.train, [...parts.schema], { salt: featureSalt(parts.spec) });
  const sections = [exactSection(cipher, 'stats', stats, mask)];
  const findings = dataset.findings ?? [];
  if (findings.length > 0)
    sections.push(exactSection(cipher, 'datareport', dataReportVector(findings), mask));
  return sections;
}
