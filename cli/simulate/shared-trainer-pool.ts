import type { EvaluateInput, Trainer, TrainInput } from '../../client-node/in-process.js';
import type { BackendPreference } from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';

/**
 * The training workers that all in-process site nodes of a simulation share: TensorFlow.js
 * is loaded once per worker thread instead of once per site, and training runs off the
 * thread that serves every site's gRPC and HE work. Each site gets its own view
 * (`forSite`); a request goes to the worker with the fewest outstanding requests. Only
 * Float32Arrays cross into a worker (the Trainer contract), so sites share no model state.
 */
export class SharedTrainerPool {
  private readonly outstanding: number[];

  private constructor(private readonly workers: readonly Trainer[]) {
    this.outstanding = workers.map(() => 0);
  }

  /** Starts `size` worker-thread trainers (each selects its tfjs backend; a failure rejects). */
  static async create(size: number, backend: BackendPreference = 'auto'): Promise<SharedTrainerPool> {
    if (!Number.isInteger(size) || size < 1)
      throw new HeflError('invalid_argument', `training workers must be a whole number >= 1, not ${size}`);
    // TensorFlow.js loads here, on demand (cli/ never imports it statically).
    const { WorkerTrainer } = await import('../../client-node/in-process.js');
    const workers: Trainer[] = [];
    try {
      for (let i = 0; i < size; i++) workers.push(await WorkerTrainer.create(backend));
    } catch (error) {
      await Promise.all(workers.map((w) => w.close()));
      throw error;
    }
    return new SharedTrainerPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** The backend of the workers (all select the same way in the same process). */
  get backend(): Trainer['backend'] {
    return this.workers[0]!.backend;
  }

  /** One site's trainer: closing it ends only that site's use; `close()` of the pool stops the workers. */
  forSite(): Trainer {
    let closed = false;
    const open = () => {
      if (closed) throw new HeflError('failed_precondition', 'trainer is closed');
    };
    return {
      backend: this.backend,
      train: async (input: TrainInput) => {
        open();
        return this.run((w) => w.train(input));
      },
      evaluate: async (input: EvaluateInput) => {
        open();
        return this.run((w) => w.evaluate(input));
      },
      close: async () => {
        closed = true;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }

  private async run<T>(call: (worker: Trainer) => Promise<T>): Promise<T> {
    let index = 0;
    for (let i = 1; i < this.workers.length; i++)
      if (this.outstanding[i]! < this.outstanding[index]!) index = i;
    this.outstanding[index]!++;
    try {
      return await call(this.workers[index]!);
    } finally {
      this.outstanding[index]!--;
    }
  }
}
