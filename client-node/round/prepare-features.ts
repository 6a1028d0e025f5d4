import type { SiteVectorCipher } from '../../common/he/vector-cipher.js';
import { featureSalt, type JobSpec } from '../../common/job/job-spec.js';
import { sealDataReport } from '../../common/protocol/sealed-data-report.js';
import type { Section } from '../../common/protocol/section-framing.js';
import { dataReportFromSum } from '../data/data-report.js';
import { type ColumnSpec, FeaturePipeline, perSitePipeline, type TransformedTable } from '../data/index.js';
import { decodeExactSection, findSection } from '../round-sections.js';
import type { SiteDataset } from '../site-dataset.js';

/** What round 0's aggregate gives a site: its feature pipeline and transformed splits. */
export interface PreparedFeatures {
  readonly pipeline: FeaturePipeline;
  readonly train: TransformedTable;
  readonly test: TransformedTable;
  /** The data report sealed to the researcher, when the job declared features. */
  readonly sealed: { nonce: Uint8Array; sealed: Uint8Array } | undefined;
}

/**
 * Round 0 closed: decrypts the summed feature statistics, builds the shared feature
 * pipeline from them and transforms this site's train and held-out splits (with this site's
 * own numeric scaling when the job asks for `per-site`); decrypts the
 * summed data report (if any) and seals it to the researcher.
 */
export function prepareFeatures(parts: {
  readonly cipher: SiteVectorCipher;
  readonly sections: readonly Section[];
  readonly contributors: number;
  readonly schema: readonly ColumnSpec[];
  readonly spec: JobSpec;
  readonly dataset: SiteDataset;
  readonly researcherKey: Uint8Array;
}): PreparedFeatures {
  const { cipher, sections, contributors, spec, dataset } = parts;
  const stats = decodeExactSection(cipher, findSection(sections, 'stats'), contributors);
  const pipeline = FeaturePipeline.fromGlobalStats(parts.schema, stats, { salt: featureSalt(spec) });
  const dataReport = sections.find((s) => s.name === 'datareport');
  const sealed = dataReport
    ? sealDataReport(
        dataReportFromSum(
          spec.data,
          featureSalt(spec),
          decodeExactSection(cipher, dataReport.batch, contributors),
          contributors,
        ),
        parts.researcherKey,
      )
    : undefined;
  // 'per-site' (a job's choice, e.g. to match FLamby): this site's own scaling; never sent.
  const scaling =
    spec.data.scaling === 'per-site' ? perSitePipeline(pipeline, dataset.train, parts.schema) : pipeline;
  return {
    pipeline,
    train: scaling.transform(dataset.train),
    test: scaling.transform(dataset.test),
    sealed,
  };
}
