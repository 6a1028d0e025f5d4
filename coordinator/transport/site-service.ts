import type {
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
} from '@grpc/grpc-js';
import { sha256, toHex } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import type { CallWithAuthContext } from '../../common/identity/index.js';
import type { EventLog } from '../../common/log/event-log.js';
import { layoutFromProto } from '../../common/protocol/section-framing.js';
import { SigningContext } from '../../common/protocol/signing-context.js';
import type { Clock } from '../../common/time/clock.js';
import type { Ack, SignedEnvelope } from '../../proto/gen/hefl/v1/envelope.js';
import {
  JobDecision,
  KeyBundle,
  ModelRelease,
  RoundReport,
  SiteHello,
  UpdateHeader,
} from '../../proto/gen/hefl/v1/messages.js';
import type {
  AggregateChunk,
  AggregateRequest,
  ReceiptRequest,
  SiteServiceServer,
  Task,
  UploadChunk,
} from '../../proto/gen/hefl/v1/services.js';
import type { JobRegistry } from '../job/job-registry.js';
import { auditHeadTask } from '../job/job-tasks.js';
import type { TaskHub } from '../job/task-hub.js';
import type { MemberDirectory } from '../members/member-directory.js';
import { checkNonce, checkSentAt } from '../members/message-freshness.js';
import type { NonceWindow } from '../members/nonce-window.js';
import type { AuditSink } from '../storage/audit-sink.js';
import type { BlobStore, BlobWriter } from '../storage/blob-store.js';
import type { SiteHeadRecorder } from '../storage/site-head-recorder.js';
import { boundedText } from './bounded-text.js';
import { toServiceError } from './grpc-errors.js';
import { openSiteMessage } from './open-site-message.js';
import type { RequestGuard } from './request-guard.js';
import { UploadLimits, type UploadSlot } from './upload-limits.js';

const DOWNLOAD_CHUNK = 1024 * 1024;

export interface SiteServiceDeps {
  readonly members: MemberDirectory;
  readonly guard: RequestGuard;
  readonly jobs: JobRegistry;
  readonly hub: TaskHub;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** Takes each signed hello once (nonce and timestamp checked). */
  readonly replays: NonceWindow;
  readonly log: EventLog;
  /** Per-member upload limits and idle timeout (defaults: DEFAULT_UPLOAD_LIMITS). */
  readonly limits?: UploadLimits;
  /** Records sites' own signed log heads (hello, reports); absent: not recorded. */
  readonly siteHeads?: SiteHeadRecorder;
  /** The coordinator's log, whose signed head a site receives when it connects. */
  readonly audit?: Pick<AuditSink, 'headJson'>;
}

/**
 * gRPC adapter for what sites call. gRPC ends here (calls, streams, chunk framing, status
 * codes): the job gets only messages whose signature the guard verified before decoding —
 * as generated message types, because those signed bytes are what the job keeps and relays
 * (README "Layout") — and asks the job, never its rounds, for receipts and aggregates.
 */
export function createSiteService(deps: SiteServiceDeps): SiteServiceServer {
  const { guard, jobs, hub, clock } = deps;
  const limits = deps.limits ?? new UploadLimits(clock);
  const unary =
    <Req>(handler: (req: Req, call: ServerUnaryCall<Req, Ack>) => string) =>
    (call: ServerUnaryCall<Req, Ack>, callback: sendUnaryData<Ack>) => {
      try {
        const message = handler(call.request, call);
        callback(null, { message, auditHeadJson: Buffer.from(deps.audit?.headJson?.() ?? new Uint8Array()) });
      } catch (error) {
        callback(toServiceError(error));
      }
    };

  return {
    subscribe(call: ServerWritableStream<SignedEnvelope, Task>) {
      try {
        const { message: hello, member } = openSiteMessage(
          guard,
          SigningContext.siteHello,
          SiteHello,
          call.request,
          call,
          (m) => m.siteId,
          'hello',
        );
        deps.replays.admit('hello', member.id, hello);
        // Closed when the manifest no longer admits the site (revocation): the site is told why.
        const detach = hub.attach(
          member.id,
          (task) => call.write(task),
          () => call.emit('error', toServiceError(revokedWhileConnected())),
        );
        const manifest = deps.members.signedManifestJson?.();
        if (manifest)
          call.write({ kind: { $case: 'manifest', value: { signedManifestJson: Buffer.from(manifest) } } });
        deps.siteHeads?.onHello(member, hello.siteAuditHeadJson);
        const head = deps.audit?.headJson?.();
        if (head) call.write(auditHeadTask(head));
        deps.log('site.connected', { site: member.id });
        call.on('cancelled', detach);
        call.on('close', detach);
        call.on('error', detach);
        jobs.onSiteConnected(member.id, new Set(hello.activeJobs));
      } catch (error) {
        // emit, not destroy: grpc-js sends the status only this way, so the site sees why
        call.emit('error', toServiceError(error));
      }
    },

    decide: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = openSiteMessage(
        guard,
        SigningContext.jobDecision,
        JobDecision,
        envelope,
        call,
        (m) => m.siteId,
        'decision',
      );
      jobs.get(message.jobId).decide(member.id, message, envelope);
      return 'decision recorded';
    }),

    postKeyBundle: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = openSiteMessage(
        guard,
        SigningContext.keyBundle,
        KeyBundle,
        envelope,
        call,
        (m) => m.dealerSiteId,
        'bundle',
        'dealer',
      );
      jobs.get(message.jobId).postKeyBundle(member.id, message, envelope);
      return 'key bundle relayed';
    }),

    upload(call: ServerReadableStream<UploadChunk, SignedEnvelope>, callback: sendUnaryData<SignedEnvelope>) {
      receiveUpload(deps, limits, call).then(
        (receipt) => callback(null, receipt),
        (error) => callback(toServiceError(error)),
      );
    },

    downloadAggregate(call: ServerWritableStream<AggregateRequest, AggregateChunk>) {
      Promise.resolve()
        .then(() => guard.requirePeer(call, ['site'], 'download-aggregate'))
        .then(() => sendAggregate(jobs, call.request, (chunk) => call.write(chunk)))
        .then(
          () => call.end(),
          (error) => call.emit('error', toServiceError(error)),
        );
    },

    fetchReceipt(
      call: ServerUnaryCall<ReceiptRequest, SignedEnvelope>,
      callback: sendUnaryData<SignedEnvelope>,
    ) {
      try {
        const peer = guard.requirePeer(call, ['site'], 'fetch-receipt');
        const { jobId, round, siteId } = call.request;
        if (peer && peer.id !== siteId) {
          throw new HeflError('permission_denied', `${peer.id} asked for ${siteId}'s receipt`, {
            publicDetail: 'a site can only fetch its own receipts',
          });
        }
        const receipt = jobs.get(jobId).receiptFor(round, siteId);
        if (!receipt)
          throw new HeflError('not_found', 'no accepted update', {
            publicDetail: `no accepted update from ${siteId} in round ${round}`,
          });
        callback(null, receipt);
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    postModelRelease: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = openSiteMessage(
        guard,
        SigningContext.modelRelease,
        ModelRelease,
        envelope,
        call,
        (m) => m.siteId,
        'release',
      );
      jobs.get(message.jobId).acceptRelease(member.id, message, envelope);
      return 'release recorded';
    }),

    report: unary<SignedEnvelope>((envelope, call) => {
      const { message, member } = openSiteMessage(
        guard,
        SigningContext.roundReport,
        RoundReport,
        envelope,
        call,
        (m) => m.siteId,
        'report',
      );
      const siteHead = deps.siteHeads?.verified(member, message.siteAuditHeadJson);
      jobs.get(message.jobId).report(member.id, message, envelope, siteHead);
      return 'report recorded';
    }),
  };
}

/** Streams a round's signed summary, then its aggregate (or a blame probe's), as the job hands them out. */
async function sendAggregate(
  jobs: JobRegistry,
  request: AggregateRequest,
  write: (c: AggregateChunk) => void,
): Promise<void> {
  const download = jobs.get(request.jobId).aggregateDownload(request.round, request.probe);
  write({ kind: { $case: 'summary', value: download.summary } });
  for await (const chunk of download.chunks(DOWNLOAD_CHUNK)) {
    write({ kind: { $case: 'data', value: Buffer.from(chunk) } });
  }
}

async function receiveUpload(
  deps: SiteServiceDeps,
  limits: UploadLimits,
  call: AsyncIterable<UploadChunk> & CallWithAuthContext & { destroy(error?: Error): void },
): Promise<SignedEnvelope> {
  const { guard, jobs, blobs } = deps;
  let writer: BlobWriter | undefined;
  /** The blob of this upload once written; deleted again if the update is refused. */
  let stored: string | undefined;
  let opened:
    | { header: UpdateHeader; envelope: SignedEnvelope; siteId: string; declared: number }
    | undefined;
  let slot: UploadSlot | undefined;
  // A stream that goes quiet (before or after its header) is closed, not held open.
  const idle = limits.watchIdle(() =>
    call.destroy(
      new HeflError('deadline_exceeded', 'upload stream went idle', {
        publicDetail: `no upload data for ${limits.settings.idleMs} ms`,
      }),
    ),
  );
  try {
    for await (const chunk of call) {
      idle.touch();
      const kind = chunk.kind;
      if (!opened) {
        if (kind?.$case !== 'header')
          throw new HeflError('invalid_argument', 'upload must start with the signed header', {
            publicDetail: 'first chunk must be the signed header',
          });
        const { message: header, member } = openSiteMessage(
          guard,
          SigningContext.updateHeader,
          UpdateHeader,
          kind.value,
          call,
          (m) => m.siteId,
          'header',
        );
        const layout = header.sections.map(layoutFromProto);
        opened = { header, envelope: kind.value, siteId: member.id, declared: 0 };
        // Malformed before anything else (the round checks nonce reuse and the window too).
        checkNonce('update', header.nonce);
        checkSentAt('update', header.sentAtMs, deps.clock.now());
        // Checks the declared sections against the job's exact sizes before any data is read.
        jobs.get(header.jobId).checkUploadHeader(member.id, header);
        const declared = layout.reduce((a, s) => a + s.byteLength, 0);
        opened = { header, envelope: kind.value, siteId: member.id, declared };
        slot = limits.admit(member.id, declared);
        continue;
      }
      if (kind?.$case !== 'data')
        throw new HeflError('invalid_argument', 'only data chunks may follow the header', {
          publicDetail: 'unexpected second header',
        });
      if ((writer?.bytesWritten ?? 0) + kind.value.length > opened.declared) {
        throw new HeflError('invalid_argument', 'upload exceeds its declared size', {
          publicDetail: 'more bytes than the header declares',
        });
      }
      // The file is opened with the first data, so a stream that sends only a header holds none.
      writer ??= await blobs.createWriter();
      await writer.write(kind.value);
    }
    if (!opened) throw new HeflError('invalid_argument', 'empty upload', { publicDetail: 'no header' });
    writer ??= await blobs.createWriter();
    if (writer.bytesWritten !== opened.declared) {
      throw new HeflError('invalid_argument', 'upload ended early', {
        publicDetail: `received ${writer.bytesWritten} of ${opened.declared} bytes`,
      });
    }
    // Revoked while its bytes were arriving: the update is not taken.
    if (!deps.members.byId(opened.siteId)) throw revokedWhileConnected();
    idle.stop();
    const blob = await writer.finish(toHex(opened.header.payloadDigest));
    writer = undefined;
    stored = blob.digest;
    const layout = opened.header.sections.map(layoutFromProto);
    const { header, envelope, siteId } = opened;
    // One update at a time is read and added: its bytes are what adding holds in memory.
    const receipt = await limits.serially(() =>
      jobs.get(header.jobId).acceptUpload(siteId, header, envelope.payload, layout, blob),
    );
    deps.log('update.accepted', {
      site: opened.siteId,
      job: opened.header.jobId,
      round: opened.header.round,
      bytes: blob.size,
      digest: toHex(sha256(opened.envelope.payload)).slice(0, 16),
    });
    return receipt;
  } catch (error) {
    await writer?.abort();
    // A refused update's bytes are garbage — unless they are also an accepted update's
    // (the same bytes sent again), which must stay.
    if (stored && !jobs.refersToBlob(stored)) await blobs.delete(stored).catch(() => {});
    if (opened) {
      guard.refused(opened.envelope, SigningContext.updateHeader, error, 'update.refused');
      deps.log('update.refused', {
        site: opened.siteId,
        job: boundedText(opened.header.jobId),
        round: opened.header.round,
        reason: boundedText(error instanceof Error ? error.message : 'error'),
      });
    }
    throw error;
  } finally {
    idle.stop();
    slot?.release();
  }
}

function revokedWhileConnected(): HeflError {
  return new HeflError('permission_denied', 'member revoked while connected', {
    publicDetail: 'member is revoked',
  });
}
