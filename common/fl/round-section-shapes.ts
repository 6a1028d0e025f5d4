/**
 * Sizes of what a site sends each round, in one place because both sides need them: the
 * site builds its sections with them, and the coordinator refuses, at the upload header,
 * any section whose size the job does not allow (it must not take the first uploader's
 * word for it).
 */

/** Hashed buckets per categorical column without a declared vocabulary (round-0 statistics). */
export const CATEGORY_BUCKETS = 64;

/** Histogram bins of the evaluation sums (per class), from which the AUC is computed. */
export const EVALUATION_BINS = 100;

/** Values of the `metrics` section: count, correct, loss sum, two histograms, the site's own accuracy. */
export const METRICS_SECTION_VALUES = 3 + 2 * EVALUATION_BINS + 1;
