export {
  layerWidths,
  type MlpSpec,
  type ModelSpec,
  modelSpecSchema,
  parameterCount,
  parseModelSpec,
  type WeightTensorLayout,
  weightLayoutOf,
} from '../../common/job/model-spec.js';
export {
  parseTrainingConfig,
  type TrainingConfig,
  trainingConfigSchema,
} from '../../common/job/training-config.js';
export { buildReleasePackage } from './build-release-package.js';
export { type EvaluationInput, evaluateModel } from './evaluate-model.js';
export {
  addEvaluationSums,
  type EvaluationMetrics,
  type EvaluationSums,
  emptyEvaluationSums,
  fromVector,
  metricsFromSums,
  toVector,
} from './evaluation-sums.js';
export { InProcessTrainer } from './in-process-trainer.js';
export {
  BCE_EPSILON,
  type LocalTrainingInput,
  type LocalTrainingResult,
  trainLocally,
} from './local-trainer.js';
export { initialWeights } from './model-builder.js';
export { type LoadedModel, loadReleasedModel, type Predictions, predictRows } from './predict-rows.js';
export {
  BACKEND_PREFERENCES,
  type BackendPreference,
  type BackendSelection,
  selectBackend,
} from './select-backend.js';
export { type SeparableDataset, separableDataset } from './separable-dataset.js';
export type { EvaluateInput, Trainer, TrainInput, TrainResult } from './trainer.js';
export { WorkerTrainer } from './worker-trainer.js';
