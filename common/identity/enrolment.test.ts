import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChannelCredentials,
  type Client,
  credentials,
  type handleUnaryCall,
  makeGenericClientConstructor,
  Server,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, HeflError } from '../errors/index.js';
import { requireAdmittedPeer } from './admitted-peer.js';
import { initFederation, loadCoordinatorIdentity, saveCoordinatorManifest } from './coordinator-identity.js';
import { admitEnrolment, createEnrolmentRequest, installAdmission } from './enrolment.js';
import { revokeMember } from './federation-manifest.js';
import type { FederationManifest, MemberRole } from './manifest-schema.js';
import type { MemberIdentity } from './member-identity.js';
import { channelCredentials, serverCredentials } from './tls-credentials.js';
import { generateTlsKeyAndCsr } from './tls-key.js';

// A one-method service with raw byte messages: the handler answers with the caller's member id.
const identityService = {
  whoAmI: {
    path: '/hefl.test.Identity/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
} satisfies ServiceDefinition;
const IdentityClient = makeGenericClientConstructor(identityService, 'Identity');

let root: string;
let server: Server;
let address: string;
let manifest: FederationManifest;
const clients: Client[] = [];
const members: Record<string, MemberIdentity> = {};

async function enrolAndAdmit(coordinatorDir: string, memberDir: string, id: string, role: MemberRole) {
  const { requestPath } = await createEnrolmentRequest({ id, role, dir: memberDir });
  const coordinator = await loadCoordinatorIdentity(coordinatorDir);
  const requestFile = JSON.parse(await readFile(requestPath, 'utf8')) as unknown;
  const { signedManifest, admission } = await admitEnrolment(
    requestFile,
    coordinator.ca,
    coordinator.manifest,
    coordinator.signingKey.secretKey,
  );
  await saveCoordinatorManifest(coordinatorDir, signedManifest);
  // The admission travels as a file: round-trip it through JSON like the CLI does.
  return installAdmission(memberDir, JSON.parse(JSON.stringify(admission)) as unknown);
}

function whoAmI(creds: ChannelCredentials): Promise<string> {
  const client = new IdentityClient(address, creds);
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      identityService.whoAmI.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      { deadline: Date.now() + 5_000 },
      (error: ServiceError | null, reply?: Buffer) => (error ? reject(error) : resolve(reply!.toString())),
    );
  });
}

async function refusal(call: Promise<unknown>): Promise<ServiceError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as ServiceError,
  );
  expect(error, 'the call should have been refused').toBeDefined();
  return error!;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hefl-enrol-'));
  const coordinatorDir = join(root, 'coordinator');
  await initFederation(coordinatorDir, { federationId: 'test-fed', hostnames: ['coordinator.example'] });
  members.a = await enrolAndAdmit(coordinatorDir, join(root, 'sites', 'hospital-a'), 'hospital-a', 'site');
  members.b = await enrolAndAdmit(coordinatorDir, join(root, 'sites', 'hospital-b'), 'hospital-b', 'site');
  members.alice = await enrolAndAdmit(coordinatorDir, join(root, 'alice'), 'alice', 'researcher');
  const coordinator = await loadCoordinatorIdentity(coordinatorDir);
  await saveCoordinatorManifest(
    coordinatorDir,
    revokeMember(coordinator.manifest, 'hospital-b', coordinator.signingKey.secretKey),
  );
  const current = await loadCoordinatorIdentity(coordinatorDir);
  manifest = current.manifest;

  server = new Server();
  server.addService(identityService, {
    whoAmI: ((call, callback) => {
      try {
        const member = requireAdmittedPeer(call, manifest, ['site']);
        callback(null, Buffer.from(member.id));
      } catch (error) {
        const code = HeflError.is(error) ? error.code : 'internal';
        callback({ code: ERROR_CODES[code].grpcStatus, details: ERROR_CODES[code].publicMessage });
      }
    }) satisfies handleUnaryCall<Buffer, Buffer>,
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', serverCredentials(current.tls), (e, p) => (e ? reject(e) : resolve(p))),
  );
  address = `127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const client of clients) client.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await rm(root, { recursive: true, force: true });
});

describe('enrolment round trip and mutual TLS', () => {
  it('leaves private keys 0600 in 0700 directories on both sides', async () => {
    const modes = async (dir: string, files: string[]) =>
      Promise.all(files.map(async (f) => ((await stat(join(dir, f))).mode & 0o777).toString(8)));

    expect(
      await modes(join(root, 'coordinator'), [
        '.',
        'coordinator-signing-key.json',
        'ca-key.pem',
        'tls-key.pem',
      ]),
    ).toEqual(['700', '600', '600', '600']);
    expect(await modes(members.a!.dir, ['.', 'signing-key.json', 'sealing-key.json', 'tls-key.pem'])).toEqual(
      ['700', '600', '600', '600'],
    );
    expect(await modes(members.a!.dir, ['tls-cert.pem', 'manifest.json', 'enrolment-request.json'])).toEqual([
      '644',
      '644',
      '644',
    ]);
  });

  it('lets an admitted site in, and the handler sees who it is from its certificate', async () => {
    expect(await whoAmI(channelCredentials(members.a!.tls))).toBe('hospital-a');
  });

  it('refuses a plaintext client at the transport', async () => {
    const error = await refusal(whoAmI(credentials.createInsecure()));

    expect(error.code).toBe(status.UNAVAILABLE);
  });

  it('refuses a client certificate from another CA at the handshake', async () => {
    const otherFed = join(root, 'other-coordinator');
    await initFederation(otherFed, { federationId: 'other-fed' });
    const stranger = await enrolAndAdmit(otherFed, join(root, 'stranger'), 'hospital-a', 'site');

    // The stranger trusts our CA and pins nothing, so only the server's check of its certificate can fail.
    const error = await refusal(
      whoAmI(
        channelCredentials({
          caPem: members.a!.tls.caPem,
          certPem: stranger.tls.certPem,
          keyPem: stranger.tls.keyPem,
        }),
      ),
    );

    expect(error.code).toBe(status.UNAVAILABLE);
  });

  it('refuses a revoked member whose certificate is still TLS-valid', async () => {
    const error = await refusal(whoAmI(channelCredentials(members.b!.tls)));

    expect(error.code).toBe(status.PERMISSION_DENIED);
  });

  it('refuses a certificate our CA signed but the manifest never admitted, and a member of the wrong role', async () => {
    const coordinator = await loadCoordinatorIdentity(join(root, 'coordinator'));
    const rogue = await generateTlsKeyAndCsr('hospital-a');
    const rogueCert = await coordinator.ca.issueClientCertificate({ csrPem: rogue.csrPem }, 'hospital-a');

    const unknown = await refusal(
      whoAmI(
        channelCredentials({ caPem: coordinator.tls.caPem, certPem: rogueCert, keyPem: rogue.privateKeyPem }),
      ),
    );
    const researcher = await refusal(whoAmI(channelCredentials(members.alice!.tls)));

    expect(unknown.code).toBe(status.UNAUTHENTICATED);
    expect(researcher.code).toBe(status.PERMISSION_DENIED);
  });

  it('refuses to talk to a coordinator whose certificate is not the pinned one', async () => {
    const error = await refusal(
      whoAmI(channelCredentials({ ...members.a!.tls, serverFingerprint: '0'.repeat(64) })),
    );

    expect(error.code).toBe(status.UNAVAILABLE);
  });

  it('keeps serving the admitted site after all those refusals', async () => {
    expect(await whoAmI(channelCredentials(members.a!.tls))).toBe('hospital-a');
  });

  it('refuses to enrol twice into the same directory and to admit a request with a forged signature', async () => {
    const coordinator = await loadCoordinatorIdentity(join(root, 'coordinator'));
    const again = await createEnrolmentRequest({ id: 'hospital-a', role: 'site', dir: members.a!.dir }).catch(
      (e: unknown) => e as HeflError,
    );
    const { signedRequest } = await createEnrolmentRequest({
      id: 'hospital-c',
      role: 'site',
      dir: join(root, 'c'),
    });
    const forged = JSON.parse(
      JSON.stringify({ ...signedRequest, request: { ...signedRequest.request, role: 'researcher' } }),
    );

    const admitForged = await admitEnrolment(
      forged,
      coordinator.ca,
      coordinator.manifest,
      coordinator.signingKey.secretKey,
    ).catch((e: unknown) => e as HeflError);

    expect((again as HeflError).code).toBe('already_exists');
    expect((admitForged as HeflError).code).toBe('unauthenticated');
  });
});
