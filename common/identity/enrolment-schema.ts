import { z } from 'zod';
import { certificatePem, hex32, idSchema, roleSchema, timestamp } from './manifest-schema.js';

/** Signing context of an enrolment request (the member's proof of possession of its Ed25519 key). */
export const ENROLMENT_CONTEXT = 'hefl.v1/enrolment-request';

const signature = z.string().regex(/^[0-9a-f]{128}$/, 'expected 128 lower-case hex characters (64 bytes)');

export const enrolmentRequestSchema = z.strictObject({
  version: z.literal(1),
  id: idSchema,
  role: roleSchema,
  signingPublicKey: hex32,
  sealingPublicKey: hex32,
  /** PKCS#10 request for the member's TLS key (PEM); its own signature proves the TLS key. */
  csr: z
    .string()
    .includes('-----BEGIN CERTIFICATE REQUEST-----', { message: 'expected a PEM PKCS#10 request' }),
  createdAt: timestamp,
});

/** The public half of an enrolment, as the coordinator operator receives it. */
export type EnrolmentRequest = Readonly<z.infer<typeof enrolmentRequestSchema>>;

/** `enrolment-request.json`: the request and the member's Ed25519 signature over its canonical JSON. */
export const signedEnrolmentRequestSchema = z.strictObject({
  request: z.record(z.string(), z.unknown()),
  signature,
});

export interface SignedEnrolmentRequest {
  readonly request: EnrolmentRequest;
  readonly signature: string;
}

/** `admission.json`: what the coordinator operator hands back to an admitted member. */
export const admissionSchema = z.strictObject({
  version: z.literal(1),
  memberId: idSchema,
  /** The member's TLS client certificate (PEM), issued by the federation CA. */
  certificate: certificatePem,
  caCertificate: certificatePem,
  /** The manifest (including this member), signed by the coordinator. */
  signedManifest: z.strictObject({ manifest: z.record(z.string(), z.unknown()), signature }),
});

export type Admission = Readonly<z.infer<typeof admissionSchema>>;
