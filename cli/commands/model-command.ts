import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadRawCsv } from '../../client-node/index.js';
import { openResearcherSession } from '../job/researcher-session.js';
import { openModelRelease } from '../researcher/open-model-release.js';
import { recordSeenHead } from '../researcher/record-seen-head.js';
import { writeReleasedModel } from '../researcher/write-released-model.js';

/** `hefl model fetch`: the final model, sealed to this researcher by the sites, if every site allows it. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('receive a trained model (researcher)');
  model
    .command('fetch <jobId>')
    .description(
      'write the final model (TensorFlow.js layers format: model.json + weights.bin, loadable with tf.loadLayersModel) and model-card.json to --out',
    )
    .requiredOption(
      '--out <dir>',
      'folder to write the model into (created; existing model files are not overwritten)',
    )
    .requiredOption('--dir <dir>', 'your researcher folder (keys, certificates, manifest)')
    .option('--coordinator <host:port>', 'coordinator address', '127.0.0.1:7443')
    .option('--json', 'print one JSON document (the model card and the files written) on stdout')
    .action(
      async (jobId: string, opts: { out: string; dir: string; coordinator: string; json?: boolean }) => {
        const session = await openResearcherSession(resolve(opts.dir), opts.coordinator);
        try {
          const reply = await session.call('fetch the model', (client) => client.fetchModel(jobId));
          // Kept for auditors whatever the outcome: the head proves how far the log reached.
          if (!recordSeenHead(resolve(opts.dir), jobId, reply.auditHeadJson, session.coordinatorKey)) {
            process.stderr.write('hefl: note: the coordinator sent no valid signed audit-log head\n');
          }
          const released = openModelRelease(reply, session.sealingSecretKey, session.siteIdOf);
          const out = resolve(opts.out);
          const files = await writeReleasedModel(released, out);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ files, card: released.card }, null, 2)}\n`);
          } else {
            const m = released.card.metrics;
            const { glm } = released.card;
            process.stdout.write(
              glm || !m
                ? `GLM of ${jobId} written to ${out} (model-card.json with the table, weights.bin = coefficients)\n` +
                    `sites: ${released.card.participatingSites.join(', ')}; ${glm?.family ?? ''} n ${glm?.n ?? '-'}, deviance ${glm?.deviance ?? '-'}\n`
                : `model of ${jobId} written to ${out} (model.json, weights.bin, model-card.json)\n` +
                    `sites: ${released.card.participatingSites.join(', ')}; accuracy ${m.accuracy.toFixed(3)} (mean of sites), AUC ${m.auc.toFixed(3)}\n`,
            );
          }
        } finally {
          session.close();
        }
      },
    );
  model
    .command('predict')
    .description(
      "apply a fetched model to new rows, read and prepared exactly as the sites read theirs (the model card's feature schema); writes CSV line,probability",
    )
    .requiredOption('--model <dir>', 'folder written by hefl model fetch')
    .requiredOption(
      '--data <file>',
      'CSV of rows (header row, or give --columns); the label column may be absent',
    )
    .option('--columns <names>', 'comma-separated column names for a headerless CSV')
    .option('--out <file>', 'write the predictions here instead of stdout')
    .action(async (opts: { model: string; data: string; columns?: string; out?: string }) => {
      // TensorFlow.js is loaded only by the commands that run a model (it takes ~1 s to load).
      const { loadReleasedModel, predictRows } = await import('../../client-node/in-process.js');
      const loaded = await loadReleasedModel(resolve(opts.model));
      try {
        const raw = await loadRawCsv(
          resolve(opts.data),
          opts.columns?.split(',').map((c) => c.trim()),
        );
        const { lines, probabilities } = predictRows(loaded, raw);
        const csv = `line,probability\n${lines.map((line, i) => `${line},${probabilities[i]}`).join('\n')}\n`;
        if (opts.out) await writeFile(resolve(opts.out), csv);
        else process.stdout.write(csv);
      } finally {
        loaded.model.dispose();
      }
    });
}
