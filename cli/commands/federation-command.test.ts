import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMemberIdentity } from '../../common/identity/index.js';
import { runCli, runCliError } from '../../test/support/run-cli.js';
import { buildProgram } from '../program.js';

const hefl = runCli;
const heflError = runCliError;

describe('hefl federation / site enrolment commands', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'hefl-cli-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('provisions a site on "another machine" end to end and revokes it', async () => {
    const coord = join(root, 'coordinator');
    const site = join(root, 'sites', 'hospital-a');
    const transfer = join(root, 'transfer');

    const init = await hefl('federation', 'init', '--dir', coord, '--id', 'demo', '--host', 'coord.example');
    const enroll = await hefl('site', 'enroll', '--dir', site, '--id', 'hospital-a');
    const request = await readFile(join(site, 'enrolment-request.json'), 'utf8');
    await mkdir(transfer);
    await writeFile(join(transfer, 'req.json'), request);
    const admit = await hefl('federation', 'admit', join(transfer, 'req.json'), '--dir', coord);
    const install = await hefl('site', 'install-admission', join(transfer, 'admission.json'), '--dir', site);
    const revoke = await hefl('federation', 'revoke', 'hospital-a', '--dir', coord);

    const keyIdLine = /coordinator key id:\s+([0-9a-f]{32})/.exec(init)?.[1];
    expect(keyIdLine).toBeDefined();
    expect(install).toContain(keyIdLine);
    expect(enroll).toContain('enrolment-request.json');
    expect(admit).toContain('admitted site "hospital-a"');
    expect(revoke).toContain('revoked "hospital-a"');
    expect((await loadMemberIdentity(site)).member.id).toBe('hospital-a');
    const manifest = JSON.parse(await readFile(join(coord, 'manifest.json'), 'utf8'));
    expect(manifest.manifest.members[0].revokedAt).toBeTypeOf('string');
  });

  it('fails with one clear error: existing admission file, unknown member, loose key file, bad role', async () => {
    const coord = join(root, 'coordinator');
    const site = join(root, 'site');
    await hefl('federation', 'init', '--dir', coord);
    await hefl('site', 'enroll', '--dir', site, '--id', 'h1');
    await hefl('federation', 'admit', join(site, 'enrolment-request.json'), '--dir', coord);

    const twice = await heflError(
      'federation',
      'admit',
      join(site, 'enrolment-request.json'),
      '--dir',
      coord,
    );
    const unknown = await heflError('federation', 'revoke', 'nobody', '--dir', coord);
    await chmod(join(coord, 'ca-key.pem'), 0o644);
    const loose = await heflError('federation', 'revoke', 'h1', '--dir', coord);
    const badRole = await hefl(
      'site',
      'enroll',
      '--dir',
      join(root, 'x'),
      '--id',
      'x',
      '--role',
      'admin',
    ).catch((e: unknown) => e as Error);

    expect(twice.code).toBe('already_exists');
    expect(unknown.code).toBe('not_found');
    expect(loose.code).toBe('permission_denied');
    expect(loose.message).toContain(`chmod 600 ${join(coord, 'ca-key.pem')}`);
    expect(String(badRole)).toContain('--role must be one of: site, researcher, auditor');
  });

  it('documents every command in --help', async () => {
    const program = await buildProgram();
    const help = (path: string[]) => {
      let command: Command = program;
      for (const name of path) command = command.commands.find((c) => c.name() === name)!;
      return command.helpInformation();
    };

    expect(help(['federation', 'init'])).toContain('--host <name>');
    expect(help(['federation', 'admit'])).toContain('--out <file>');
    expect(help(['federation', 'revoke'])).toContain('<id>');
    expect(help(['site', 'enroll'])).toContain('--role <role>');
    expect(help(['site', 'install-admission'])).toContain('<file>');
    expect(help(['federation', 'renew'])).toContain('--request <file>');
    expect(help(['federation', 'reissue'])).toContain('--request <file>');
    expect(help(['site', 'renew'])).toContain('--install <file>');
  });
});
