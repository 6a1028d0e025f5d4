import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import {
  admitEnrolment,
  COORDINATOR_FILES,
  certificateFingerprint,
  createEnrolmentRequest,
  initFederation,
  installAdmission,
  loadCoordinatorIdentity,
  MEMBER_FILES,
  MEMBER_ROLES,
  type MemberRole,
  readJsonFile,
  revokeMember,
  saveCoordinatorManifest,
  toJsonText,
  writePublicFile,
} from '../../common/identity/index.js';
import { withManifestLock } from '../../common/identity/manifest-lock.js';
import { writeStateVersion } from '../../common/state/state-version.js';
import { oneOf } from '../cli-options.js';
import { writeFolderConfig } from '../config/folder-config.js';
import { registerFederationMembersCommand } from './operator-views-command.js';
import { registerFederationRenewalCommands } from './renewal-command.js';

const print = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);
const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `hefl federation init | admit | revoke`: the coordinator operator's provisioning commands.
 * Member keys never pass through here: `admit` only reads a member's public request.
 */
export function registerFederationCommands(program: Command): void {
  const federation = program
    .command('federation')
    .description('create a federation and admit or revoke its sites, researchers and auditors');

  federation
    .command('init')
    .description(
      "create the coordinator's signing key, the federation's TLS certificate authority, the coordinator's TLS certificate and an empty signed manifest",
    )
    .requiredOption('--dir <dir>', 'coordinator directory to create (private keys are written 0600)')
    .option('--id <name>', 'federation id', 'hefl')
    .option(
      '--host <name>',
      'extra host name or IP for the coordinator certificate (repeatable)',
      collect,
      [],
    )
    .action(async (opts: { dir: string; id: string; host: string[] }) => {
      const identity = await initFederation(opts.dir, { federationId: opts.id, hostnames: opts.host });
      await writeStateVersion(opts.dir);
      await writeFolderConfig(opts.dir, { logLevel: 'info' }, 'hefl federation init');
      print(
        `federation "${opts.id}" created in ${resolve(opts.dir)}`,
        `  coordinator key id:   ${keyId(identity.signingKey.publicKey)}  (members compare this when they install their admission)`,
        `  CA fingerprint:       ${certificateFingerprint(identity.ca.certificatePem)}`,
        `  server certificate:   localhost, 127.0.0.1${opts.host.map((h) => `, ${h}`).join('')}`,
        `  manifest:             ${join(opts.dir, COORDINATOR_FILES.manifest)}`,
      );
    });

  federation
    .command('admit')
    .description(
      "verify a member's enrolment request, issue its TLS client certificate and add it to the signed manifest",
    )
    .argument('<request>', 'enrolment-request.json produced by `hefl site enroll`')
    .requiredOption('--dir <dir>', 'coordinator directory (from `hefl federation init`)')
    .option(
      '--out <file>',
      'where to write the admission for the member (default: admission.json beside the request)',
    )
    .action((requestPath: string, opts: { dir: string; out?: string }) =>
      withManifestLock(opts.dir, async () => {
        const coordinator = await loadCoordinatorIdentity(opts.dir);
        const request = await readJsonFile(requestPath, 'enrolment request');
        const { signedManifest, admission, member } = await admitEnrolment(
          request,
          coordinator.ca,
          coordinator.manifest,
          coordinator.signingKey.secretKey,
        );
        const out = opts.out ?? join(dirname(requestPath), 'admission.json');
        // Write the admission first: if it cannot be written, the manifest is left unchanged.
        await writePublicFile(out, toJsonText(admission)).catch((error: unknown) => {
          if (HeflError.is(error, 'already_exists')) {
            throw new HeflError('already_exists', `${out} already exists; choose another file with --out`, {
              cause: error,
            });
          }
          throw error;
        });
        await saveCoordinatorManifest(opts.dir, signedManifest);
        print(
          `admitted ${member.role} "${member.id}" (signing key id ${keyId(Buffer.from(member.signingPublicKey, 'hex'))})`,
          `  admission written to ${out}; send it to the member for \`hefl site install-admission\``,
        );
      }),
    );

  federation
    .command('revoke')
    .description('revoke a member: its certificate and keys are refused from the next round on')
    .argument('<id>', 'member id')
    .requiredOption('--dir <dir>', 'coordinator directory')
    .action((id: string, opts: { dir: string }) =>
      withManifestLock(opts.dir, async () => {
        const coordinator = await loadCoordinatorIdentity(opts.dir);
        const signed = revokeMember(coordinator.manifest, id, coordinator.signingKey.secretKey);
        await saveCoordinatorManifest(opts.dir, signed);
        print(
          `revoked "${id}"; a running coordinator refuses it once it reloads ${COORDINATOR_FILES.manifest}`,
        );
      }),
    );
  registerFederationMembersCommand(federation);
  registerFederationRenewalCommands(federation);
}

/**
 * `hefl site enroll | install-admission`, attached to the owner's `site` command. They run
 * on the member's own machine: every private key is generated and kept there.
 */
interface EnrolOptions {
  dir: string;
  id: string;
  role: MemberRole;
  coordinator?: string;
  data?: string;
  input?: string;
  label?: string;
  logLevel?: string;
}

export function registerSiteEnrolCommands(site: Command): void {
  site
    .command('enroll')
    .description(
      'generate this member’s signing, sealing and TLS keys (kept here, 0600) and write the enrolment request to send to the coordinator operator',
    )
    .requiredOption('--dir <dir>', 'this member’s directory (created 0700)')
    .requiredOption('--id <id>', 'member id, e.g. hospital-a')
    .option('--role <role>', `one of ${MEMBER_ROLES.join(', ')}`, oneOf('--role', MEMBER_ROLES), 'site')
    .option('--coordinator <host:port>', 'coordinator address, kept in the folder config (hefl.yaml)')
    .option('--data <location>', 'a site: its records, kept in the folder config')
    .option('--input <kind>', 'a site: csv, fhir or omop, kept in the folder config')
    .option('--label <column>', 'a site: the label column, kept in the folder config')
    .option('--log-level <level>', 'daemon log level, kept in the folder config', 'info')
    .action(async (opts: EnrolOptions) => {
      const { signedRequest, requestPath } = await createEnrolmentRequest(opts);
      await writeStateVersion(opts.dir);
      const { coordinator, data, input, label, logLevel } = opts;
      const configPath = await writeFolderConfig(
        opts.dir,
        { coordinator, data, input, label, logLevel },
        'hefl site enroll',
      );
      print(
        `enrolment request for ${opts.role} "${opts.id}" written to ${requestPath}`,
        `  signing key id ${keyId(Buffer.from(signedRequest.request.signingPublicKey, 'hex'))}; private keys stay in ${resolve(opts.dir)}`,
        '  send the request file to the coordinator operator (`hefl federation admit`)',
        `  defaults for commands on this folder: ${configPath} (flags and HEFL_* variables override it)`,
      );
    });

  site
    .command('install-admission')
    .description(
      'check the admission from the coordinator operator against this member’s keys and install it',
    )
    .argument('<file>', 'admission.json from `hefl federation admit`')
    .requiredOption('--dir <dir>', 'this member’s directory (from `hefl site enroll`)')
    .action(async (file: string, opts: { dir: string }) => {
      const identity = await installAdmission(opts.dir, await readJsonFile(file, 'admission'));
      print(
        `admission installed for ${identity.role} "${identity.id}" in federation "${identity.manifest.federationId}"`,
        `  coordinator key id ${keyId(identity.coordinatorSigningPublicKey)} pinned in ${join(opts.dir, MEMBER_FILES.coordinator)}; compare it with the operator's`,
      );
    });
}
