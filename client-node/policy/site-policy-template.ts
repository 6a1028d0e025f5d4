/**
 * The commented policy file `hefl site policy init` writes. Its values are exactly
 * `defaultSitePolicy()` (a test holds them together); the comments are for hospital IT.
 */
export function sitePolicyTemplate(): string {
  return `# hefl site policy: which training jobs this site takes part in.
# Checked when the site starts and against every job offered to it; a job outside the
# policy is declined, and the researcher sees why. Check your edits with:
#   hefl site policy check --dir <site dir>
version: 1

# Model kinds this site takes part in: logreg, mlp (training), glm (federated regression),
# stats (federated descriptive statistics: counts, means, histograms, cross-tabulations).
allowedModels: [logreg, mlp, glm, stats]

# Largest model, in parameters (weights incl. biases). Unset = no limit.
# maxParameters: 100000

# Most training rounds one job may run (each round sends one encrypted update). Unset = no limit.
# maxRounds: 100

# Decline every job that does not use differential privacy (dp.epsilon in the job).
# Recommended for production: true.
requireDp: false

# Smallest noise multiplier accepted for a DP job, whatever epsilon it states (noise stddev /
# clip norm: of each DP-SGD step's summed gradient for record-level jobs, of the aggregate
# update for site-level jobs). Unset = no floor.
# minNoiseMultiplier: 0.8

# Total privacy budget over all DP jobs at this site. Each job spends the epsilon it states
# up front (epsilons add up); delta is the largest delta a single job may run at. A job's
# dp.unit says what its epsilon protects: record (default) = one patient record here, by
# DP-SGD with noise this site chooses from its own row count; site = this site's whole update
# per round. Both draw on this one total; each spend is recorded with its unit.
# Spending is recorded in privacy-budget.json; see it with: hefl site budget --dir <site dir>
budget:
  epsilon: 10
  delta: 0.00001

# Whether a job may hand its final model to the researcher at the end.
allowRelease: true

# auto: accept every job inside this policy.
# explicit: also require approving the job's hash first: hefl site approve <hash> --dir <site dir>
# Recommended for production: explicit.
approval: auto

# Smallest total over all sites shown to a researcher for one code in a job's round-0 data
# report (codes found, declared codes); smaller totals are suppressed. With several sites the
# largest of their minima applies. Whole number 1..100.
minCellSize: 5

# Fewest records this site must hold to take part in a glm or stats job (a statistical
# analysis: with few records its sums say much about each patient). Unset = no minimum.
# minRecords: 50
`;
}
