import { parseStrategyConfig } from '../../common/job/strategy-config.js';
import { FedAvg } from './fed-avg.js';
import { FedOpt } from './fed-opt.js';
import { FedProx } from './fed-prox.js';
import type { ServerStrategy } from './server-strategy.js';

/**
 * Builds the server strategy a job asks for. `config` is untrusted job input: it is
 * validated (`invalid_config` listing every problem) and defaults are filled in.
 */
export function createStrategy(config: unknown): ServerStrategy {
  const c = parseStrategyConfig(config);
  switch (c.name) {
    case 'fedavg':
      return new FedAvg(c.serverLearningRate);
    case 'fedprox':
      return new FedProx(c.proximalMu, c.serverLearningRate);
    case 'fedadam':
    case 'fedyogi':
    case 'fedadagrad':
      return new FedOpt(c.name, {
        serverLearningRate: c.serverLearningRate,
        beta1: c.beta1,
        beta2: c.beta2,
        tau: c.tau,
      });
  }
}
