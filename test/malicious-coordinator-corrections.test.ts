import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResearcherClient } from '../cli/researcher/researcher-client.js';
import { CoordinatorClient } from '../client-node/coordinator-client.js';
import { generateSyntheticHospitals } from '../client-node/data/index.js';
import { FileSiteAudit, noSiteAudit } from '../client-node/site-audit.js';
import { SiteNode } from '../client-node/site-node.js';
import { InProcessTrainer, type Trainer } from '../client-node/training/index.js';
import { AuditLogWriter } from '../common/audit/audit-log-writer.js';
import { channelCredentials } from '../common/identity/index.js';
import { parseJobSpec } from '../common/job/job-spec.js';
import { systemClock } from '../common/time/clock.js';
import type { ScriptCorrectionRequests } from '../coordinator/job/mask-correction-phase.js';
import { waitForJob } from './support/local-federation.js';
import { ScriptedSite, siteKeysOf } from './support/scripted-site.js';
import { startTlsFederation, type TlsFederation, waitUntil } from './support/tls-federation.js';

/*
 * Issue 15, acceptance: "A scripted malicious coordinator that claims all sites but the
 * victim and one colluder dropped gets no correction from the victim; the refusal is in the
 * victim's audit log; a second correction request with a different U is refused."
 *
 * Five real site nodes talk to the production coordinator (startCoordinator) over gRPC with
 * mutual TLS. site-e never finishes training, so round 1 closes with a dropout and the
 * coordinator asks for mask corrections. Its correction phase is scripted (a test-only
 * coordinator fault) to send the victim, site-a, three requests, each signed with the
 * coordinator's real key: U = {site-a, site-b} (the colluder), then the honest U, then
 * U = {site-a, site-b, site-c}. The others get the honest request only.
 */

const SITES = ['site-a', 'site-b', 'site-c', 'site-d', 'site-e'];
const VICTIM = 'site-a';
const COLLUDER = 'site-b';
const DROPS = 'site-e';
const JOB = parseJobSpec({
  name: 'malicious-coordinator',
  model: { kind: 'logreg' },
  rounds: 1,
  minSites: 3,
  data: { label: 'event', categorical: ['chest_pain', 'ecg'] },
  local: { epochs: 1, batchSize: 32, learningRate: 0.1 },
  he: { masks: 'pairwise' },
  recruitSeconds: 15,
  roundDeadlineSeconds: 8,
});

/** What the scripted coordinator sent, per round (filled by the script). */
const scripted: { round: number; contributors: readonly string[] }[] = [];

const lyingCoordinator: ScriptCorrectionRequests = ({ round, contributors }) => {
  scripted.push({ round, contributors });
  const third = contributors.filter((s) => s !== DROPS).slice(0, 3);
  return [
    { to: [VICTIM], participants: [VICTIM, COLLUDER] },
    { to: contributors, participants: contributors },
    { to: [VICTIM], participants: third },
  ];
};

/** A trainer that never returns: the site sends round 0 and then drops out of round 1. */
function neverTrains(base: Trainer): Trainer {
  return {
    backend: base.backend,
    train: () => new Promise(() => {}),
    evaluate: (input) => base.evaluate(input),
    close: () => base.close(),
  };
}

interface AuditEntry {
  readonly action: string;
  readonly actor: string;
  readonly details: Record<string, unknown>;
}

function readAudit(path: string): AuditEntry[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditEntry);
}

describe('a malicious coordinator gets no isolating mask correction (real gRPC + mutual TLS)', () => {
  let fed: TlsFederation;
  let trainer: InProcessTrainer;
  let researcher: ResearcherClient;
  let dir: string;
  let victimAuditPath: string;
  const nodes: SiteNode[] = [];
  const clients: CoordinatorClient[] = [];
  const siteLogs: { site: string; event: string; fields: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    fed = await startTlsFederation(SITES, { scriptCorrectionRequests: lyingCoordinator });
    dir = mkdtempSync(join(fed.root, 'sites-'));
    victimAuditPath = join(dir, 'victim-audit.jsonl');
    const members = await Promise.all([...SITES, 'researcher'].map((id) => fed.member(id)));
    trainer = await InProcessTrainer.create();
    const data = generateSyntheticHospitals({ sites: SITES.length, seed: 15 });
    for (const [i, identity] of members.slice(0, SITES.length).entries()) {
      const path = join(dir, `${identity.id}.csv`);
      writeFileSync(path, data[i]!.csv);
      const keys = siteKeysOf(identity);
      const client = new CoordinatorClient(fed.address, channelCredentials(identity.tls));
      clients.push(client);
      const node = new SiteNode({
        keys,
        federation: new ScriptedSite(identity, fed.address).federation,
        client,
        trainer: identity.id === DROPS ? neverTrains(trainer) : trainer,
        clock: systemClock,
        data: { path },
        audit:
          identity.id === VICTIM
            ? new FileSiteAudit(
                AuditLogWriter.open(victimAuditPath, {
                  publicKey: keys.signingPublicKey,
                  secretKey: keys.signingSecretKey,
                }),
                keys.signingPublicKey,
              )
            : noSiteAudit,
        log: (event, fields) => siteLogs.push({ site: identity.id, event, fields }),
      });
      nodes.push(node);
      node.start();
    }
    const r = members[SITES.length]!;
    researcher = new ResearcherClient(fed.address, channelCredentials(r.tls), {
      signingSecretKey: r.signingKey.secretKey,
      sealingPublicKey: r.sealingKey.publicKey,
      sealingSecretKey: r.sealingKey.secretKey,
    });
    await waitUntil(
      () => (fed.logs.filter((l) => l.event === 'site.connected').length >= SITES.length ? true : undefined),
      15_000,
      'all sites connected',
    );
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) node.stop();
    for (const client of clients) client.close();
    researcher?.close();
    await trainer?.close();
    await fed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the victim refuses U = {victim, colluder}, logs it, answers one U only, and refuses another', async () => {
    const { jobId } = await researcher.submit(JOB);
    const status = await waitForJob(researcher, jobId, 90_000);
    // The three requests reach the victim before the round can close, and are answered in order.
    await waitUntil(
      () =>
        readAudit(victimAuditPath).filter((e) => /mask-correction/.test(e.action)).length >= 3
          ? true
          : undefined,
      10_000,
      "the victim's answers to the three requests",
    );

    // The lie was told once, in round 1 (site-e dropped there), to a round of four contributors.
    expect(scripted).toEqual([{ round: 1, contributors: ['site-a', 'site-b', 'site-c', 'site-d'] }]);
    const victimLog = readAudit(victimAuditPath).filter((e) => /mask-correction/.test(e.action));
    expect(victimLog.map((e) => [e.action, e.details.included])).toEqual([
      ['site.mask-correction-refused', ['site-a', 'site-b']],
      ['site.mask-correction-sent', ['site-a', 'site-b', 'site-c', 'site-d']],
      ['site.mask-correction-refused', ['site-a', 'site-b', 'site-c']],
    ]);
    expect(victimLog[0]!.details.reason).toMatch(/names 2 sites in the sum, corrections need at least 3/);
    expect(victimLog[1]!.details.dropped).toEqual([DROPS]);
    expect(victimLog[2]!.details.reason).toMatch(/already sent for another set of sites/);
    // The victim's refusals are signed entries of its own audit log (actor: its key id).
    expect(new Set(victimLog.map((e) => e.actor)).size).toBe(1);

    // What the coordinator received from the victim: exactly one correction, the honest one.
    const coordinatorAudit = readAudit(join(fed.provisioned.coordinatorDir, 'audit.jsonl'));
    const corrections = coordinatorAudit.filter((e) => e.action === 'round.mask-corrected');
    expect(corrections.filter((e) => e.details.site === VICTIM)).toHaveLength(1);
    expect(corrections.map((e) => e.details.site).sort()).toEqual(['site-a', 'site-b', 'site-c', 'site-d']);
    // The honest correction made the round's sum right: the job completed.
    if (status.state !== 'completed') console.error(siteLogs.filter((l) => /failed/.test(l.event)));
    expect({ state: status.state, reason: status.reason }).toEqual({ state: 'completed', reason: '' });
  }, 120_000);
});
