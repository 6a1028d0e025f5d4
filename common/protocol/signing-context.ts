/**
 * Domain-separation strings: a signature made for one kind of message can never be
 * replayed as another kind, because the context is part of the signed bytes.
 */
export const SigningContext = Object.freeze({
  siteHello: 'hefl.v1/site-hello',
  jobSubmission: 'hefl.v1/job-submission',
  jobCancellation: 'hefl.v1/job-cancellation',
  jobDecision: 'hefl.v1/job-decision',
  keyBundle: 'hefl.v1/key-bundle',
  updateHeader: 'hefl.v1/update-header',
  receipt: 'hefl.v1/receipt',
  roundSummary: 'hefl.v1/round-summary',
  roundReport: 'hefl.v1/round-report',
  sealedMetrics: 'hefl.v1/sealed-metrics',
  modelRelease: 'hefl.v1/model-release',
} as const);

export type SigningContextName = (typeof SigningContext)[keyof typeof SigningContext];
