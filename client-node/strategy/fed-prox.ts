import { FedAvg } from './fed-avg.js';

/**
 * FedProx (Li et al. 2020). Its only difference from FedAvg is on the client: local
 * training minimises loss + (mu / 2) * ||w - w_global||^2, which the site's trainer applies
 * using `proximalMu`. The server step is FedAvg's, so this class carries mu for the trainer
 * and otherwise behaves exactly like FedAvg (its state is tagged 'fedprox').
 */
export class FedProx extends FedAvg {
  override readonly name = 'fedprox' as const;

  constructor(
    readonly proximalMu: number,
    serverLearningRate = 1,
  ) {
    super(serverLearningRate);
  }
}
