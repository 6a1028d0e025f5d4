import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateFingerprint, loadMemberIdentity } from '../../common/identity/index.js';
import { runCli as hefl, runCliError as heflError } from '../../test/support/run-cli.js';

/* Issue 17: the renewal and reissue commands as an operator and hospital IT type them. */

describe('hefl site renew / federation renew / federation reissue', () => {
  let root: string;
  let coord: string;
  let site: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'hefl-renew-cli-'));
    coord = join(root, 'coordinator');
    site = join(root, 'site');
    await hefl('federation', 'init', '--dir', coord, '--id', 'demo');
    await hefl('site', 'enroll', '--dir', site, '--id', 'hospital-a');
    await hefl('federation', 'admit', join(site, 'enrolment-request.json'), '--dir', coord);
    await hefl('site', 'install-admission', join(site, 'admission.json'), '--dir', site);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const manifestFingerprint = async () =>
    JSON.parse(await readFile(join(coord, 'manifest.json'), 'utf8')).manifest.members[0]
      .tlsCertificateFingerprint as string;

  it('renews with a new TLS key: the manifest and the site folder hold the new certificate', async () => {
    const before = await loadMemberIdentity(site);

    const request = await hefl('site', 'renew', '--dir', site);
    const renew = await hefl(
      'federation',
      'renew',
      'hospital-a',
      '--request',
      join(site, 'renewal-request.json'),
      '--dir',
      coord,
    );
    const install = await hefl(
      'site',
      'renew',
      '--install',
      join(site, 'renew-admission.json'),
      '--dir',
      site,
    );
    const after = await loadMemberIdentity(site);

    expect(request).toContain('renewal-request.json');
    expect(renew).toContain('renewed the certificate of "hospital-a"');
    expect(install).toContain('renewed certificate installed');
    expect(after.tls.keyPem).not.toBe(before.tls.keyPem);
    expect(certificateFingerprint(after.tls.certPem)).toBe(await manifestFingerprint());
    expect(certificateFingerprint(before.tls.certPem)).not.toBe(await manifestFingerprint());
  });

  it("reissue refuses a request that carries the member's current keys, and an unknown member", async () => {
    const sameKeys = await heflError(
      'federation',
      'reissue',
      'hospital-a',
      '--request',
      join(site, 'enrolment-request.json'),
      '--dir',
      coord,
    );
    const unknown = await heflError(
      'federation',
      'reissue',
      'hospital-b',
      '--request',
      join(site, 'enrolment-request.json'),
      '--dir',
      coord,
    );

    expect(sameKeys.message).toContain('current signing key');
    expect(unknown.code).toBe('not_found');
  });
});
