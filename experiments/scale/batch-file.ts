import { readFile, writeFile } from 'node:fs/promises';
import type { CiphertextBatch } from '../../common/he/ciphertext-batch.js';

/**
 * Writes a ciphertext batch as one file: a JSON header line (profile, form, value count,
 * chunk lengths) and the chunks back to back. Only for handing batches to a measuring
 * child process; not a wire format.
 */
export async function writeBatchFile(path: string, batch: CiphertextBatch): Promise<void> {
  const header = JSON.stringify({
    profileId: batch.profileId,
    form: batch.form,
    valueCount: batch.valueCount,
    lengths: batch.ciphertexts.map((c) => c.length),
  });
  await writeFile(path, Buffer.concat([Buffer.from(`${header}\n`), ...batch.ciphertexts]));
}

/** Reads a file written by `writeBatchFile` into fresh buffers (as an upload would arrive). */
export async function readBatchFile(path: string): Promise<CiphertextBatch> {
  const bytes = await readFile(path);
  const newline = bytes.indexOf(10);
  const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as {
    profileId: string;
    form: CiphertextBatch['form'];
    valueCount: number;
    lengths: number[];
  };
  let at = newline + 1;
  const ciphertexts = header.lengths.map((n) => {
    const chunk = new Uint8Array(bytes.buffer, bytes.byteOffset + at, n);
    at += n;
    return chunk;
  });
  return { profileId: header.profileId, form: header.form, valueCount: header.valueCount, ciphertexts };
}
