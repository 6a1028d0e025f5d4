import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFederation, type TestFederation } from './support/local-federation.js';

describe('the coordinator’s standard gRPC health service (grpc.health.v1)', () => {
  let fed: TestFederation;
  beforeAll(async () => {
    fed = await startTestFederation({ sites: 1 });
  });
  afterAll(async () => {
    await fed?.stop();
  });

  it('reports SERVING for the server and both hefl services, and NOT_FOUND for others', async () => {
    const Health = makeGenericClientConstructor(healthService, 'Health');
    const client = new Health(`127.0.0.1:${fed.coordinator.port}`, credentials.createInsecure());
    const check = (name: string) =>
      new Promise<{ status: unknown }>((resolve, reject) => {
        (
          client as unknown as {
            check: (r: object, cb: (e: Error | null, r: { status: unknown }) => void) => void;
          }
        ).check({ service: name }, (error, reply) => (error ? reject(error) : resolve(reply)));
      });
    for (const name of ['', 'hefl.v1.SiteService', 'hefl.v1.ResearcherService']) {
      expect(String((await check(name)).status)).toMatch(/^(SERVING|1)$/);
    }
    await expect(check('no.such.Service')).rejects.toThrow(/NOT_FOUND|not found/i);
    client.close();
  });
});
