import {
  type InProcessFederation,
  startInProcessFederation,
} from '../../experiments/harness/in-process-federation.js';

/**
 * The in-process federation tests run against: one process, real gRPC on 127.0.0.1:0, real
 * node-seal and training. Its core is `experiments/harness/in-process-federation.ts`
 * (experiments run jobs through it too, and must not depend on test/); this file is what
 * tests import, plus the helpers only tests need.
 */
export type TestFederation = InProcessFederation;
export const startTestFederation = startInProcessFederation;
export { waitForJob, waitForSites } from '../../experiments/harness/in-process-federation.js';

/** Waits until every site has processed the end of `jobId` and returns their final models. */
export async function finalModels(
  fed: TestFederation,
  jobId: string,
  timeoutMs = 10_000,
): Promise<Float32Array[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const models = fed.sites.map((s) => s.finalModel(jobId));
    if (models.every((m) => m !== undefined)) return models as Float32Array[];
    if (Date.now() > until) throw new Error(`sites did not finish job ${jobId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
