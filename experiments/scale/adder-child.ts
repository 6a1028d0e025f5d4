import { performance } from 'node:perf_hooks';
import { createAdder } from '../../common/he/create-adder.js';
import { readBatchFile } from './batch-file.js';

/**
 * Child process of run-scale: plays the coordinator's adding for one round. Arguments:
 * profile id, number of sites, mode (`streaming`: add each update as it arrives and drop
 * it; `buffer-all`: hold every update, then add), and the batch files to cycle through.
 * Sends one message: wall time, peak RSS and peak heap+external (bytes) sampled after
 * every arrival and every addition.
 */
async function main(): Promise<void> {
  const [profileId, sitesText, mode, ...files] = process.argv.slice(2);
  const sites = Number(sitesText);
  const adder = await createAdder(profileId!);
  let peakRss = 0;
  let peakHeapExternal = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeapExternal = Math.max(peakHeapExternal, m.heapUsed + m.external);
  };
  sample();
  const baselineRss = peakRss;
  const first = await readBatchFile(files[0]!);
  const sum = adder.startSum(first.valueCount);
  const started = performance.now();
  if (mode === 'buffer-all') {
    const held = [];
    for (let s = 0; s < sites; s++) {
      held.push(await readBatchFile(files[s % files.length]!));
      sample();
    }
    for (const batch of held) {
      sum.add(batch);
      sample();
    }
  } else {
    for (let s = 0; s < sites; s++) {
      sum.add(await readBatchFile(files[s % files.length]!));
      sample();
    }
  }
  const result = sum.result();
  sample();
  const seconds = (performance.now() - started) / 1000;
  sum.delete();
  adder.delete();
  process.send?.({ seconds, peakRss, peakHeapExternal, baselineRss, resultValues: result.valueCount });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
