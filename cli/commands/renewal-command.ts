import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { keyId } from '../../common/crypto/index.js';
import { HeflError } from '../../common/errors/index.js';
import {
  type Admission,
  COORDINATOR_FILES,
  createRenewalRequest,
  installRenewal,
  loadCoordinatorIdentity,
  readJsonFile,
  reissueAdmission,
  renewMemberCertificate,
  type SignedManifest,
  saveCoordinatorManifest,
  toJsonText,
  writePublicFile,
} from '../../common/identity/index.js';
import { withManifestLock } from '../../common/identity/manifest-lock.js';
import { positiveInteger } from '../cli-options.js';

const print = (...lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);

type Issue = (
  request: unknown,
  memberId: string,
  coordinator: Awaited<ReturnType<typeof loadCoordinatorIdentity>>,
  validityDays: number | undefined,
) => Promise<{ signedManifest: SignedManifest; admission: Admission }>;

/**
 * `hefl federation renew MEMBER` and `hefl federation reissue MEMBER`: the operator signs
 * a request the member made on its own machine (no private key comes here), records the
 * new certificate (and, for a reissue, the new keys) in the signed manifest and writes an
 * admission file for the member. The replaced certificate or keys are refused by the
 * running coordinator once it reloads the manifest.
 */
export function registerFederationRenewalCommands(federation: Command): void {
  const issueCommand = (name: string, description: string, requestHelp: string, issue: Issue) =>
    federation
      .command(name)
      .description(description)
      .argument('<member>', 'member id')
      .requiredOption('--request <file>', requestHelp)
      .requiredOption('--dir <dir>', 'coordinator directory')
      .option('--out <file>', 'where to write the admission for the member (default: beside the request)')
      .option(
        '--validity-days <days>',
        'days the new certificate is valid (default 825)',
        positiveInteger('--validity-days', 3650),
      )
      .action(
        (memberId: string, opts: { request: string; dir: string; out?: string; validityDays?: number }) =>
          withManifestLock(opts.dir, async () => {
            const coordinator = await loadCoordinatorIdentity(opts.dir);
            const request = await readJsonFile(opts.request, `${name} request`);
            const { signedManifest, admission } = await issue(
              request,
              memberId,
              coordinator,
              opts.validityDays,
            );
            const out = opts.out ?? join(dirname(opts.request), `${name}-admission.json`);
            await writePublicFile(out, toJsonText(admission)).catch((error: unknown) => {
              if (HeflError.is(error, 'already_exists')) {
                throw new HeflError(
                  'already_exists',
                  `${out} already exists; choose another file with --out`,
                  {
                    cause: error,
                  },
                );
              }
              throw error;
            });
            await saveCoordinatorManifest(opts.dir, signedManifest);
            const member = signedManifest.manifest.members.find((m) => m.id === memberId);
            print(
              `${name === 'renew' ? 'renewed the certificate of' : 'reissued the admission of'} "${memberId}"` +
                (name === 'reissue' && member
                  ? ` (new signing key id ${keyId(Buffer.from(member.signingPublicKey, 'hex'))})`
                  : ''),
              `  the previous ${name === 'renew' ? 'certificate is' : 'keys and certificate are'} refused once a running coordinator reloads ${COORDINATOR_FILES.manifest}`,
              `  admission written to ${out}; send it to the member for \`hefl site ${name === 'renew' ? 'renew --install' : 'install-admission'}\``,
            );
          }),
      );

  issueCommand(
    'renew',
    "issue a new TLS certificate for an admitted member from its signed renewal request (`hefl site renew`); the member's previous certificate is refused from then on",
    'renewal-request.json from `hefl site renew`',
    (request, memberId, c, validityDays) =>
      renewMemberCertificate(request, memberId, c.ca, c.manifest, c.signingKey.secretKey, {
        ...(validityDays !== undefined ? { validityDays } : {}),
      }),
  );
  issueCommand(
    'reissue',
    'a member lost its folder: admit its new enrolment (same id, new keys) in place of the old keys, which are refused from then on',
    'enrolment-request.json from `hefl site enroll` in a new folder, same --id',
    (request, memberId, c, validityDays) =>
      reissueAdmission(request, memberId, c.ca, c.manifest, c.signingKey.secretKey, {
        ...(validityDays !== undefined ? { validityDays } : {}),
      }),
  );
}

/** `hefl site renew`: the member's half of a certificate renewal. */
export function registerSiteRenewCommand(site: Command): void {
  site
    .command('renew')
    .description(
      'certificate renewal: write a renewal request (new TLS key kept here, 0600) for the coordinator operator, or --install the renewed certificate',
    )
    .requiredOption('--dir <dir>', 'this member’s directory')
    .option('--same-key', 'ask for a certificate for the current TLS key instead of a new one')
    .option('--install <file>', 'install the renewal from `hefl federation renew` (then restart the daemon)')
    .action(async (opts: { dir: string; sameKey?: boolean; install?: string }) => {
      if (opts.install !== undefined) {
        if (opts.sameKey)
          throw new HeflError('invalid_argument', '--same-key and --install do not go together');
        const identity = await installRenewal(opts.dir, await readJsonFile(opts.install, 'renewal'));
        print(
          `renewed certificate installed for ${identity.role} "${identity.id}" in ${resolve(opts.dir)}`,
          '  restart the node (e.g. systemctl restart hefl-site) so it connects with it',
        );
        return;
      }
      const { requestPath, newKey } = await createRenewalRequest(opts.dir, {
        sameKey: opts.sameKey === true,
      });
      print(
        `renewal request written to ${requestPath}${newKey ? ' (new TLS key kept in this folder until --install)' : ''}`,
        '  send it to the coordinator operator (`hefl federation renew MEMBER --request FILE`)',
      );
    });
}
