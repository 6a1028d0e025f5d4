import { bytesEqual, sha256 } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import { layoutFromProto, type Section, unframeSection } from '../../common/protocol/section-framing.js';
import type { RoundSummary } from '../../proto/gen/hefl/v1/messages.js';
import type { CoordinatorClient } from '../coordinator-client.js';

/**
 * Downloads the round's encrypted sum (or blame probe `summary.probe`), checks it against
 * the digest in the coordinator's signed summary (`integrity` otherwise) and splits it into
 * its named sections by the summary's layouts.
 */
export async function downloadRoundAggregate(
  client: Pick<CoordinatorClient, 'downloadAggregate'>,
  summary: RoundSummary,
  siteId: string,
): Promise<Section[]> {
  const { round, probe } = summary;
  const { data } = await client.downloadAggregate(summary.jobId, round, siteId, probe);
  if (!bytesEqual(sha256(data), summary.aggregateDigest)) {
    throw new HeflError(
      'integrity',
      probe > 0
        ? `round ${round} probe ${probe} does not match its signed digest`
        : `round ${round} aggregate does not match its signed digest`,
    );
  }
  const sections: Section[] = [];
  let offset = 0;
  for (const layout of summary.sections.map(layoutFromProto)) {
    sections.push(unframeSection(layout, data.subarray(offset, offset + layout.byteLength)));
    offset += layout.byteLength;
  }
  return sections;
}
