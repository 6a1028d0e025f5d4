import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  type BackendPreference,
  DATA_INPUTS,
  type DataInput,
  type SiteOptions,
  startSite,
} from '../../client-node/index.js';
import { HeflError } from '../../common/errors/index.js';
import { oneOf } from '../cli-options.js';
import { createEventLogger, LOG_LEVELS } from '../daemon/event-logger.js';
import { holdFolderLock } from '../daemon/hold-folder-lock.js';
import { untilSignal } from '../daemon/until-signal.js';
import { dataLocation } from '../data-location.js';
import { fixedSplitOptions } from '../fixed-split-options.js';
import { siteDataPreflight } from '../site-data-preflight.js';
import { TRAINING_BACKENDS } from '../training-backends.js';

/**
 * `hefl site start`: the site node a hospital runs next to its records. `inject`: parts a
 * test-only entry script swaps in (test/support/faulty-site.mjs); `hefl` itself passes none.
 */
export function registerSiteStartCommand(
  site: Command,
  inject: Pick<SiteOptions, 'createTrainer'> = {},
): void {
  site
    .command('start')
    .description('run this site: dial out to the coordinator and train on local records (they never leave)')
    .requiredOption('--dir <dir>', 'the site folder (keys, certificates, manifest)')
    .requiredOption(
      '--data <location>',
      'local records: a CSV file (header row, or give --columns); with --input fhir a Bulk Data export folder; with --input omop a folder of table CSVs or a postgres:// URL',
    )
    .option('--input <kind>', `${DATA_INPUTS.join(', ')}`, oneOf('--input', DATA_INPUTS), 'csv')
    .option(
      '--mapping <file>',
      'mapping file (YAML) from FHIR resources or OMOP concepts to columns; needed for fhir and omop',
    )
    .option('--label <column>', 'label column of the data; jobs asking for another are declined')
    .option('--columns <names>', 'comma-separated column names for a headerless CSV')
    .option(
      '--split-column <column>',
      'fixed train/test split: this column holds train or test per row (never a feature); replaces the seeded split',
    )
    .option(
      '--test-data <file>',
      'fixed train/test split: held-out records in this second file (same format and columns as --data)',
    )
    .option('--policy <file>', 'site policy (default: site-policy.yaml in --dir, else built-in defaults)')
    .option('--coordinator <host:port>', 'coordinator address', '127.0.0.1:7443')
    .option(
      '--backend <name>',
      `TensorFlow.js backend: ${TRAINING_BACKENDS.join(', ')} (cpu: plain JavaScript, only when named)`,
      oneOf('--backend', TRAINING_BACKENDS),
      'auto',
    )
    .option(
      '--log-level <level>',
      `one of ${LOG_LEVELS.join(', ')}`,
      oneOf('--log-level', LOG_LEVELS),
      'info',
    )
    .action(
      async (opts: {
        dir: string;
        data: string;
        input: DataInput;
        mapping?: string;
        label?: string;
        columns?: string;
        splitColumn?: string;
        testData?: string;
        policy?: string;
        coordinator: string;
        backend: BackendPreference;
        logLevel: string;
      }) => {
        const { log, warn, error: logError } = createEventLogger('site', opts.logLevel);
        const columns = opts.columns?.split(',').map((c) => c.trim());
        const location = dataLocation(opts); // usage errors first, before touching the folder
        const split = fixedSplitOptions(opts);
        // One site node per folder: a second would take over the connection and cut the first off.
        const lock = holdFolderLock(resolve(opts.dir));
        try {
          await siteDataPreflight(location, columns, opts.label, split);
        } catch (error) {
          lock.release();
          throw error;
        }
        // TensorFlow.js is loaded only here, by the command that trains (it takes ~1 s to load).
        const running = await startSite({
          dir: resolve(opts.dir),
          coordinator: opts.coordinator,
          data: {
            ...location,
            ...(opts.label ? { label: opts.label } : {}),
            ...(opts.columns ? { columns: opts.columns.split(',').map((c) => c.trim()) } : {}),
            ...split,
          },
          ...(opts.policy ? { policyPath: resolve(opts.policy) } : {}),
          backend: opts.backend,
          log,
          logWarn: warn,
          logError,
          ...inject,
        });
        // Handlers before the announcement (a reader may send SIGINT as soon as it sees it).
        const stopSignal = untilSignal(running.refused);
        log('site.started', {
          site: running.siteId,
          backend: running.backend,
          coordinator: opts.coordinator,
        });
        const signal = await stopSignal;
        if (typeof signal !== 'string') {
          await running.stop();
          lock.release();
          // Exit 1 (failed): retrying cannot help, so a service manager must not restart-loop.
          throw new HeflError('permission_denied', `${signal.reason}; ${signal.whatToDo}`);
        }
        log('site.stopping', { signal });
        await running.stop();
        lock.release();
        if (signal === 'SIGINT') process.exitCode = 130;
      },
    );
}
