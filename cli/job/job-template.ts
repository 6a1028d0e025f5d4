/**
 * The commented example job `hefl job init` writes: every section with its default, the
 * model chosen by `--model`. Kept valid by a test (it must parse as a job).
 */
export function jobTemplate(model: 'logreg' | 'mlp'): string {
  const modelBlock =
    model === 'mlp'
      ? `model:                     # a small neural network: dense hidden layers, one sigmoid output
  kind: mlp
  hidden: [16, 8]           # 1..4 hidden layers, units each
  activation: relu          # relu | tanh`
      : `model:                     # logistic regression (one sigmoid unit); kind: mlp for a neural network
  kind: logreg`;
  return `# hefl job file (YAML or JSON). Submit with: hefl job submit job.yaml --dir RESEARCHER_DIR
# Check a site's data against it with: hefl site check --data FILE --job job.yaml
# Every problem is reported at once as "path: message"; editors can use \`hefl job schema\`.
name: my-study
${modelBlock}
rounds: 10                  # training rounds (round 0, feature statistics, is extra)
local:                      # training at each site per round
  epochs: 1                 # or steps: N (not both)
  batchSize: 32
  learningRate: 0.05
  optimizer: sgd            # sgd | adam
strategy:
  name: fedavg              # fedavg | fedprox | fedadam | fedyogi | fedadagrad
minSites: 2                 # a round closes with at least this many updates
maxSites: 100               # sizes the encrypted sums; more sites cannot join
roundDeadlineSeconds: 300
recruitSeconds: 60          # how long sites have to accept
he:
  profile: bgv-n2048-q54-t38/v1
  clipRange: 1              # every update value is clipped to [-clipRange, clipRange]
data:
  label: num                # > 0 is positive
  missing: drop-row         # drop-row | impute-mean
  testFraction: 0.34        # each site's stratified held-out share
  categorical: [restecg]    # undeclared categorical columns (hashed one-hot buckets)
  normalise:                # how category codes are compared, at every site alike
    numericCodes: true      # 4 = 4.0 = 04
    whitespace: trim        # trim | collapse
    case: keep              # keep | lower
  features:                 # optional; without it every other column is a feature
    - age                   # a plain column name: kind from 'categorical' or inferred
    - name: chol
      type: numeric
      unit: mg/dL
      range: [80, 700]      # plausible values; a column in mmol/L is caught as a unit mismatch
      outOfRange: refuse    # refuse (site declines) | drop-row | keep
    - name: cp
      type: categorical
      vocabulary:
        system: local       # e.g. http://snomed.info/sct, http://loinc.org
        codes: [1, 2, 3, 4] # one model input per code, the same at every site
      outOfVocabulary: other  # other (one extra input) | drop-row | refuse
    - name: sex
      type: binary
      codes: [0, 1]         # [no, yes]
    - restecg
metrics: [accuracy, auc, loss]
release:
  toResearcher: true        # the final model is sealed to you, where every site's policy allows
weightCap: 100000
seed: 42
# dp:                       # record-level differential privacy (see README)
#   epsilon: 1
#   delta: 0.00001
#   clipNorm: 1
`;
}
