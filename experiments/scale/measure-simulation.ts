import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HeflError } from '../../common/errors/index.js';

/** One `hefl simulate` run of the scale experiment, as its `--json` document reports it. */
export interface SimulationScaleRow {
  readonly sites: number;
  readonly rounds: number;
  readonly state: string;
  /** Wall time of the whole command: provisioning, start-up, the job, shutdown. */
  readonly wallSeconds: number;
  /** Mean and largest time of the training rounds (open to closed, as the coordinator records them). */
  readonly meanRoundSeconds: number;
  readonly maxRoundSeconds: number;
  readonly coordinatorPeakMiB: number | null;
  readonly sitesPeakMiB: number | null;
}

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;

/**
 * Runs the built `hefl simulate --isolation in-process --sites N` (logreg, the built-in
 * synthetic hospitals) as a child process and reads its `--json` result: a real federation
 * (coordinator process, N site nodes over mutual TLS on 127.0.0.1, node-seal), nothing stubbed.
 */
export async function measureSimulation(
  sites: number,
  rounds: number,
  onLine: (line: string) => void,
): Promise<SimulationScaleRow> {
  if (!existsSync(CLI))
    throw new HeflError('failed_precondition', `${CLI} is missing: run npm run build first`);
  const args = [
    'simulate',
    '--isolation',
    'in-process',
    '--sites',
    String(sites),
    '--rounds',
    String(rounds),
  ];
  const started = Date.now();
  const { code, stdout, stderrTail } = await run([CLI, ...args, '--json', '--timeout', '3600'], onLine);
  const wallSeconds = (Date.now() - started) / 1000;
  if (code !== 0)
    throw new HeflError('internal', `hefl ${args.join(' ')} exited with ${code}: ${stderrTail}`);
  const result = JSON.parse(stdout) as {
    state: string;
    rounds: { round: number; seconds: number }[];
    memory: { coordinatorPeakMiB: number | null; sitesPeakMiB: number | null };
  };
  const training = result.rounds.filter((r) => r.round >= 1).map((r) => r.seconds);
  return {
    sites,
    rounds,
    state: result.state,
    wallSeconds: round2(wallSeconds),
    meanRoundSeconds: round2(training.reduce((a, b) => a + b, 0) / training.length),
    maxRoundSeconds: round2(Math.max(...training)),
    coordinatorPeakMiB: result.memory.coordinatorPeakMiB,
    sitesPeakMiB: result.memory.sitesPeakMiB,
  };
}

function run(
  args: string[],
  onLine: (line: string) => void,
): Promise<{ code: number | null; stdout: string; stderrTail: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderrTail = (stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (/^(round|job|coordinator) /.test(line)) onLine(line);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderrTail }));
  });
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
