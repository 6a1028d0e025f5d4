import { Client, type ServiceError, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelCredentials } from '../common/identity/index.js';
import { startTlsFederation, type TlsFederation } from './support/tls-federation.js';

/** Bytes that are no protobuf message: field 1, wire type 2, a length running past the end. */
const GARBAGE = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);

function sendRaw(client: Client, path: string, bytes: Buffer): Promise<ServiceError> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (error) => (error ? resolve(error) : reject(new Error('undecodable request was answered'))),
    );
  });
}

describe('undecodable gRPC input', () => {
  let fed: TlsFederation;
  let client: Client;

  beforeAll(async () => {
    fed = await startTlsFederation(['hospital-a']);
    const identity = await fed.member('hospital-a');
    client = new Client(fed.address, channelCredentials(identity.tls));
  });

  afterAll(async () => {
    client?.close();
    await fed?.stop();
  });

  it('is refused as INVALID_ARGUMENT, not INTERNAL, on unary calls of both services', async () => {
    const decide = await sendRaw(client, '/hefl.v1.SiteService/Decide', GARBAGE);
    const submit = await sendRaw(client, '/hefl.v1.ResearcherService/SubmitJob', GARBAGE);

    expect({ code: decide.code, details: decide.details }).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'request is not a valid protobuf message',
    });
    expect(submit.code).toBe(status.INVALID_ARGUMENT);
  });

  it('is refused as INVALID_ARGUMENT on a client stream (upload), and the coordinator keeps serving', async () => {
    const error = await new Promise<ServiceError>((resolve, reject) => {
      const stream = client.makeClientStreamRequest(
        '/hefl.v1.SiteService/Upload',
        (b: Buffer) => b,
        (b: Buffer) => b,
        (e) => (e ? resolve(e) : reject(new Error('undecodable upload was answered'))),
      );
      stream.write(GARBAGE);
      stream.end();
    });
    const again = await sendRaw(client, '/hefl.v1.SiteService/Decide', GARBAGE);

    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(again.code).toBe(status.INVALID_ARGUMENT);
  });
});
