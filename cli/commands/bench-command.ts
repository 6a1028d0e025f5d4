import type { Command } from 'commander';
import { type HeBenchResult, runHeBenchmark } from '../bench/he-benchmark.js';
import { positiveInteger } from '../cli-options.js';

/** `hefl bench he`: measured HE cost against plaintext, NVFlare-style CKKS and Paillier. */
export function registerBenchCommand(program: Command): void {
  const bench = program.command('bench').description('measure hefl on this machine');
  bench
    .command('he')
    .description('bytes, time and error of every HE profile vs plaintext float32 and per-value Paillier')
    .option('--params <n>', 'model parameters per update', positiveInteger('--params', 10_000_000), 1_000_000)
    .option('--sites <k>', 'sites whose updates are summed', positiveInteger('--sites', 1000), 10)
    .option(
      '--max-sites <k>',
      'federation size the quantizer is sized for',
      positiveInteger('--max-sites', 100_000),
      1000,
    )
    .option(
      '--paillier-sample <n>',
      'values Paillier is timed on',
      positiveInteger('--paillier-sample', 10_000),
      64,
    )
    .option('--json', 'print one JSON document on stdout')
    .action(
      async (opts: {
        params: number;
        sites: number;
        maxSites: number;
        paillierSample: number;
        json?: boolean;
      }) => {
        const result = await runHeBenchmark({
          params: opts.params,
          sites: opts.sites,
          clipRange: 1,
          maxSites: Math.max(opts.maxSites, opts.sites),
          paillierSample: opts.paillierSample,
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatTable(result));
      },
    );
}

function formatTable(r: HeBenchResult): string {
  const lines = [
    `HE cost for ${r.params.toLocaleString('en')} parameters summed over ${r.sites} sites (measured now, this machine)`,
    '',
    'scheme                     bytes/param  x float32  x fewer than NVFlare  encrypt ms  add ms/site  decrypt ms  max |error|',
  ];
  const row = (name: string, bpp: number, enc: number, add: number, dec: number, err: number, nv: string) =>
    `${name.padEnd(26)} ${bpp.toFixed(3).padStart(11)}  ${(bpp / 4).toFixed(2).padStart(9)}  ${nv.padStart(20)}  ${enc.toFixed(0).padStart(10)}  ${add.toFixed(1).padStart(11)}  ${dec.toFixed(0).padStart(10)}  ${err.toExponential(1).padStart(11)}`;
  lines.push(row('plaintext float32', 4, 0, r.plaintext.addMsPerSite, 0, r.plaintext.maxAbsError, '-'));
  for (const p of r.profiles) {
    lines.push(
      row(
        `${p.name}${p.default ? ' *' : ''}`,
        p.bytesPerParam,
        p.encryptMs,
        p.addMsPerSite,
        p.decryptMs,
        p.maxAbsError,
        `${r.ratios.bytesVsNvflare[p.name]!.toFixed(2)}x`,
      ),
    );
  }
  const pl = r.paillier;
  lines.push(
    row(
      'paillier (extrapolated)',
      pl.bytesPerParam,
      pl.encryptMs,
      pl.addMsPerSite,
      pl.decryptMs,
      pl.maxAbsError,
      '-',
    ),
  );
  lines.push('', `* default profile. Paillier: ${pl.note}.`, '');
  for (const p of r.profiles) {
    const m = p.masking;
    if (!m) continue;
    lines.push(
      `pairwise masks, ${p.name}: ${m.peers} peers ${m.maskMs.toFixed(0)} ms + masked encrypt ${m.maskedEncryptMs.toFixed(0)} ms vs encrypt ${m.encryptMs.toFixed(0)} ms (+${(m.overheadVsEncrypt * 100).toFixed(0)}%), ${m.maskedBytesPerParam.toFixed(3)} bytes/param`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
