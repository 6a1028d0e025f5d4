import { join } from 'node:path';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { COORDINATOR_FILES, loadCoordinatorIdentity, serverCredentials } from '../common/identity/index.js';
import { systemClock } from '../common/time/clock.js';
import { FileBlobStore } from './blob-store.js';
import { type RunningCoordinator, startCoordinatorServer } from './coordinator-server.js';
import { FederationChangeRecorder } from './federation-change-recorder.js';
import { FileAuditSink } from './file-audit-sink.js';
import { ManifestMemberDirectory } from './manifest-member-directory.js';
import { SqliteJobStore } from './sqlite-job-store.js';

export interface CoordinatorOptions {
  /** The coordinator's folder, as made by `hefl federation init`. */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly log: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * Composition root of the coordinator daemon: loads its identity (refusing key files
 * others can read), the signed manifest, mutual-TLS credentials, the blob store and the
 * audit log, then serves. The coordinator holds no HE key of any kind.
 */
export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  const identity = await loadCoordinatorIdentity(options.dir);
  const members = new ManifestMemberDirectory(
    join(options.dir, COORDINATOR_FILES.manifest),
    identity.signingKey.publicKey,
    (message) => options.log('manifest.reload-failed', { error: message }),
  );
  const writer = AuditLogWriter.open(join(options.dir, 'audit.jsonl'), identity.signingKey, systemClock);
  const audit = new FileAuditSink(writer, members);
  const federationChanges = new FederationChangeRecorder(options.dir, audit);
  federationChanges.record(members.members());
  members.onChange(() => federationChanges.record(members.members()));
  const store = new SqliteJobStore(join(options.dir, 'state.sqlite'));
  const running = await startCoordinatorServer(
    {
      clock: systemClock,
      blobs: await FileBlobStore.open(join(options.dir, 'blobs')),
      audit,
      members,
      store,
      keys: {
        signingPublicKey: identity.signingKey.publicKey,
        signingSecretKey: identity.signingKey.secretKey,
      },
      credentials: serverCredentials(identity.tls),
      log: options.log,
    },
    options.host,
    options.port,
  );
  return {
    ...running,
    async stop() {
      await running.stop();
      members.close();
      store.close();
      writer.close();
    },
  };
}
