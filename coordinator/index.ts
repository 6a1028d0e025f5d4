/**
 * The coordinator's public surface: everything `cli/` and `experiments/` may use. The rest
 * of `coordinator/` is internal (`test/architecture` fails on an import that goes around
 * this file). Tests may reach inside.
 *
 * `startCoordinator` is the daemon's composition root; the parts after it are what an
 * in-process federation (experiments' harness) builds a coordinator from.
 */

export { backupCoordinator } from './backup/backup-coordinator.js';
export type { BackupManifest } from './backup/backup-manifest.js';
export { restoreCoordinator } from './backup/restore-coordinator.js';
export type { HoldAggregation } from './job/round-aggregation.js';
export {
  type Member,
  type MemberDirectory,
  type MemberRole,
  StaticMemberDirectory,
} from './members/member-directory.js';
export { LOCAL_STATUS_FILE } from './observe/local-status-file.js';
export type { MemberView } from './observe/local-status-server.js';
export { type CoordinatorOptions, startCoordinator } from './start-coordinator.js';
export { type AuditSink, MemoryAuditSink } from './storage/audit-sink.js';
export { FileBlobStore } from './storage/blob-store.js';
export {
  type CoordinatorServerDeps,
  type RunningCoordinator,
  startCoordinatorServer,
} from './transport/coordinator-server.js';
export type { UploadLimitSettings } from './transport/upload-limits.js';
