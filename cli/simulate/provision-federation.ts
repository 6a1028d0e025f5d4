import { join } from 'node:path';
import {
  admitEnrolment,
  createEnrolmentRequest,
  initFederation,
  installAdmission,
  saveCoordinatorManifest,
} from '../../common/identity/index.js';

export interface ProvisionedFederation {
  readonly coordinatorDir: string;
  readonly siteDirs: readonly { id: string; dir: string }[];
  readonly researcherDir: string;
}

/**
 * Builds a throw-away federation through exactly the steps a real one uses: the
 * coordinator runs `federation init`; each member enrols on "its own machine" (its own
 * folder; private keys are made there and stay there); the coordinator admits each
 * request into the manifest; each member installs its admission.
 */
export async function provisionFederation(
  root: string,
  siteIds: readonly string[],
): Promise<ProvisionedFederation> {
  const coordinatorDir = join(root, 'coordinator');
  const identity = await initFederation(coordinatorDir, {
    federationId: 'hefl-simulation',
    hostnames: ['localhost'],
  });
  let manifest = identity.manifest;
  const members = [
    ...siteIds.map((id) => ({ id, role: 'site' as const, dir: join(root, 'sites', id) })),
    { id: 'researcher', role: 'researcher' as const, dir: join(root, 'researcher') },
  ];
  for (const member of members) {
    const { signedRequest } = await createEnrolmentRequest({
      id: member.id,
      role: member.role,
      dir: member.dir,
    });
    const admitted = await admitEnrolment(
      signedRequest,
      identity.ca,
      manifest,
      identity.signingKey.secretKey,
    );
    manifest = admitted.signedManifest.manifest;
    await saveCoordinatorManifest(coordinatorDir, admitted.signedManifest);
    await installAdmission(member.dir, admitted.admission);
  }
  return {
    coordinatorDir,
    siteDirs: members.filter((m) => m.role === 'site').map((m) => ({ id: m.id, dir: m.dir })),
    researcherDir: join(root, 'researcher'),
  };
}
