import { resolve } from 'node:path';
import type { Command } from 'commander';

/**
 * `hefl coordinator backup` and `hefl coordinator restore`: a consistent copy of a
 * coordinator folder (its coordinator may be running) and a new folder made from one.
 * The coordinator's code is loaded only when one of them runs.
 */
export function registerCoordinatorBackupCommands(coordinator: Command): void {
  coordinator
    .command('backup')
    .description(
      'copy a coordinator folder consistently (state, audit log, blobs, manifest, keys), also while it runs',
    )
    .requiredOption('--dir <dir>', 'the coordinator folder')
    .requiredOption('--out <dir>', 'a new (or empty) folder for the backup')
    .action(async (opts: { dir: string; out: string }) => {
      const { backupCoordinator } = await import('../../coordinator/index.js');
      const out = resolve(opts.out);
      const m = await backupCoordinator(resolve(opts.dir), out);
      const bytes = m.files.reduce((sum, f) => sum + f.size, 0);
      const blobs = m.files.filter((f) => f.path.startsWith('blobs/')).length;
      process.stdout.write(
        `backup written to ${out}: ${m.files.length} files (${blobs} blobs, ${bytes} bytes), ${m.jobs.length} job(s), listed in backup.json\n`,
      );
      if (m.absentBlobs.length + m.damagedBlobs.length > 0)
        process.stdout.write(
          `not copied: ${m.absentBlobs.length} blob(s) the folder no longer held, ${m.damagedBlobs.length} damaged in the folder\n`,
        );
      process.stdout.write(
        `it holds the coordinator's private keys (${m.privateKeyFiles.join(', ')}): protect it like the folder itself\n`,
      );
    });
  coordinator
    .command('restore')
    .description(
      'write a new coordinator folder from a backup, after checking every file against backup.json',
    )
    .requiredOption('--from <dir>', 'the backup folder')
    .requiredOption('--dir <dir>', 'the new coordinator folder (must not exist or be empty)')
    .action(async (opts: { from: string; dir: string }) => {
      const { restoreCoordinator } = await import('../../coordinator/index.js');
      const dir = resolve(opts.dir);
      const m = await restoreCoordinator(resolve(opts.from), dir);
      process.stdout.write(
        `restored ${m.files.length} files (${m.jobs.length} job(s), backup of ${m.createdAt}) into ${dir}; start it with: hefl coordinator start --dir ${dir}\n`,
      );
    });
}
