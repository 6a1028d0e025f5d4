import { HeflError } from '../errors/index.js';
import type { CiphertextBatch, CiphertextForm } from '../he/ciphertext-batch.js';

/** Most values a section may declare: a 10^7-parameter model plus slack. */
export const MAX_SECTION_VALUES = 20_000_000;

/** A named encrypted vector inside an upload or an aggregate (mirrors proto SectionHeader). */
export interface Section {
  readonly name: string;
  readonly batch: CiphertextBatch;
}

export interface SectionLayout {
  readonly name: string;
  readonly profileId: string;
  readonly form: CiphertextForm;
  readonly valueCount: number;
  readonly ciphertextCount: number;
  readonly byteLength: number;
}

const FORMS: readonly CiphertextForm[] = ['seeded', 'full', 'seal-zstd', 'plain'];

/**
 * Frames a section's ciphertexts as (uint32 little-endian length, bytes) pairs, so any
 * form — fixed-size packed or variable-size SEAL — splits back without guessing.
 */
export function frameSection(section: Section): { layout: SectionLayout; bytes: Uint8Array[] } {
  const parts: Uint8Array[] = [];
  let byteLength = 0;
  for (const ct of section.batch.ciphertexts) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, ct.length, true);
    parts.push(length, ct);
    byteLength += 4 + ct.length;
  }
  const { batch } = section;
  return {
    layout: {
      name: section.name,
      profileId: batch.profileId,
      form: batch.form,
      valueCount: batch.valueCount,
      ciphertextCount: batch.ciphertexts.length,
      byteLength,
    },
    bytes: parts,
  };
}

/** Checks a declared layout before any byte of it is read (sizes are attacker-chosen). */
export function checkLayout(layout: SectionLayout): void {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(layout.name)) {
    throw new HeflError('invalid_argument', `section name '${layout.name.slice(0, 40)}' is not allowed`);
  }
  if (!FORMS.includes(layout.form))
    throw new HeflError('invalid_argument', `unknown ciphertext form in ${layout.name}`);
  if (
    !(
      Number.isInteger(layout.valueCount) &&
      layout.valueCount >= 1 &&
      layout.valueCount <= MAX_SECTION_VALUES
    )
  ) {
    throw new HeflError('invalid_argument', `section ${layout.name} declares ${layout.valueCount} values`);
  }
  if (!(Number.isInteger(layout.byteLength) && layout.byteLength >= 0)) {
    throw new HeflError('invalid_argument', `section ${layout.name} declares a bad byte length`);
  }
}

/** Splits framed bytes back into a batch; any framing inconsistency is 'malformed_ciphertext'. */
export function unframeSection(layout: SectionLayout, bytes: Uint8Array): Section {
  if (bytes.length !== layout.byteLength) {
    throw new HeflError(
      'malformed_ciphertext',
      `section ${layout.name} has ${bytes.length} bytes, declared ${layout.byteLength}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ciphertexts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length)
      throw new HeflError('malformed_ciphertext', `section ${layout.name}: truncated frame`);
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.length)
      throw new HeflError('malformed_ciphertext', `section ${layout.name}: truncated ciphertext`);
    ciphertexts.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (ciphertexts.length !== layout.ciphertextCount) {
    throw new HeflError(
      'malformed_ciphertext',
      `section ${layout.name} holds ${ciphertexts.length} ciphertexts, declared ${layout.ciphertextCount}`,
    );
  }
  return {
    name: layout.name,
    batch: { profileId: layout.profileId, form: layout.form, valueCount: layout.valueCount, ciphertexts },
  };
}

export function layoutFromProto(p: {
  name: string;
  profileId: string;
  form: string;
  valueCount: number;
  ciphertextCount: number;
  byteLength: number;
}): SectionLayout {
  const layout = { ...p, form: p.form as CiphertextForm };
  checkLayout(layout);
  return layout;
}
