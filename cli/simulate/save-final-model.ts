import type { FetchModelReply } from '../../proto/gen/hefl/v1/services.js';
import { openModelRelease } from '../researcher/open-model-release.js';
import type { ResearcherClient } from '../researcher/researcher-client.js';
import { writeReleasedModel } from '../researcher/write-released-model.js';

/**
 * With --out: the final model as a researcher receives it (`hefl model fetch`), written
 * under the federation folder. The sites post their sealed releases just after the job
 * completes, so this waits (bounded) for the last ones.
 */
export async function saveFinalModel(
  researcher: ResearcherClient,
  jobId: string,
  sealingSecret: Uint8Array,
  siteIdOf: (pk: Uint8Array) => string | undefined,
  out: string,
  keepHead: (reply: FetchModelReply) => void,
): Promise<string> {
  const until = Date.now() + 30_000;
  for (;;) {
    const reply = await researcher.fetchModel(jobId);
    if (reply.pending.length === 0 || Date.now() > until) {
      keepHead(reply);
      await writeReleasedModel(openModelRelease(reply, sealingSecret, siteIdOf), out);
      return out;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
