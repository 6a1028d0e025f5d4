import { createHmac } from 'node:crypto';
import { CODE_CHUNK_BYTES, CODE_CHUNKS, VOCABULARY_SLOT_VALUES } from '../../common/fl/data-report-layout.js';
import { CATEGORY_BUCKETS } from '../../common/fl/round-section-shapes.js';
import type { VocabularyFound } from '../../common/protocol/sealed-data-report.js';
import { categoryBucket } from './category-bucket.js';

/**
 * The codes a short job's hashed categorical columns hold, found without any site naming its
 * codes to anyone: each site writes, per column, into the same `CATEGORY_BUCKETS` slots the
 * model's one-hot inputs use (same keyed hash), for each slot holding codes of its rows:
 * [rows, 1 (this site has a code here), 1 if it has several codes here, a 24-bit check hash
 * of the code, the code's UTF-8 bytes in 4-byte chunks]. Summed under encryption over the
 * sites, a slot whose sites all hold the same code c reads [total rows, s, 0, s x check(c),
 * s x bytes(c)]: dividing by s gives c back, and the check hash confirms it. A slot where
 * different codes meet (at one site or across sites: they also share one model input) cannot
 * be divided back and is reported as unresolved. Only the sum is ever decrypted.
 */
export function vocabularyVector(
  columns: readonly { name: string; values: readonly (readonly string[])[] }[],
  salt: string,
): Float64Array {
  const out = new Float64Array(columns.length * CATEGORY_BUCKETS * VOCABULARY_SLOT_VALUES);
  columns.forEach(({ name, values }, k) => {
    const counts = new Map<string, number>();
    for (const part of values) for (const v of part) counts.set(v, (counts.get(v) ?? 0) + 1);
    const bySlot = new Map<number, string[]>();
    for (const code of counts.keys()) {
      const slot = categoryBucket(name, code, salt, CATEGORY_BUCKETS);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), code]);
    }
    for (const [slot, codes] of bySlot) {
      const at = (k * CATEGORY_BUCKETS + slot) * VOCABULARY_SLOT_VALUES;
      out[at] = codes.reduce((n, c) => n + counts.get(c)!, 0);
      out[at + 1] = 1;
      const bytes = codes.length === 1 ? codeChunks(codes[0]!) : undefined;
      if (!bytes) {
        out[at + 2] = 1;
        continue;
      }
      out[at + 3] = checkHash(name, codes[0]!);
      out.set(bytes, at + 4);
    }
  });
  return out;
}

/**
 * Reads the summed vectors back into what the researcher sees per column: codes with their
 * totals (those below `minCellSize` left out and only counted), how many sites hold each,
 * and whether no code is held by every one of the `contributors` sites.
 */
export function vocabularyFromSum(
  names: readonly string[],
  salt: string,
  sum: ArrayLike<number>,
  minCellSize: number,
  contributors: number,
): VocabularyFound[] {
  return names.map((name, k) => {
    let rows = 0;
    let unresolved = 0;
    const found: { code: string; count: number; sites: number }[] = [];
    for (let slot = 0; slot < CATEGORY_BUCKETS; slot++) {
      const at = (k * CATEGORY_BUCKETS + slot) * VOCABULARY_SLOT_VALUES;
      const v = (i: number) => Math.round(sum[at + i]!);
      const count = v(0);
      const sites = v(1);
      if (count <= 0 || sites <= 0) continue;
      rows += count;
      const code =
        sites <= contributors && v(2) === 0 ? decodeCode(salt, name, slot, sum, at, sites) : undefined;
      if (code === undefined) unresolved++;
      else found.push({ code, count, sites });
    }
    const shown = found
      .filter((c) => c.count >= minCellSize)
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
    return {
      name,
      rows,
      codes: shown,
      suppressed: found.length - shown.length,
      unresolved,
      disjoint: contributors > 1 && found.length > 0 && found.every((c) => c.sites < contributors),
    };
  });
}

function decodeCode(
  salt: string,
  column: string,
  slot: number,
  sum: ArrayLike<number>,
  at: number,
  sites: number,
): string | undefined {
  const bytes = new Uint8Array(CODE_CHUNKS * CODE_CHUNK_BYTES);
  for (let i = 0; i < CODE_CHUNKS; i++) {
    const total = Math.round(sum[at + 4 + i]!);
    if (total % sites !== 0) return undefined;
    let chunk = total / sites;
    if (chunk < 0 || chunk >= 2 ** (8 * CODE_CHUNK_BYTES)) return undefined;
    for (let b = CODE_CHUNK_BYTES - 1; b >= 0; b--) {
      bytes[i * CODE_CHUNK_BYTES + b] = chunk % 256;
      chunk = Math.floor(chunk / 256);
    }
  }
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  let code: string;
  try {
    code = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
  if (code.includes('\u0000') || codeChunks(code) === undefined) return undefined;
  const check = Math.round(sum[at + 3]!);
  if (check !== sites * checkHash(column, code)) return undefined;
  // Same hash as the model's buckets: the code must land in the slot it was read from.
  return categoryBucket(column, code, salt, CATEGORY_BUCKETS) === slot ? code : undefined;
}

/** The code's UTF-8 bytes as big-endian 4-byte chunks (zero padded), or undefined when too long or empty. */
function codeChunks(code: string): number[] | undefined {
  const bytes = new TextEncoder().encode(code);
  if (bytes.length === 0 || bytes.length > CODE_CHUNKS * CODE_CHUNK_BYTES || bytes.includes(0))
    return undefined;
  const chunks: number[] = [];
  for (let i = 0; i < CODE_CHUNKS; i++) {
    let chunk = 0;
    for (let b = 0; b < CODE_CHUNK_BYTES; b++) chunk = chunk * 256 + (bytes[i * CODE_CHUNK_BYTES + b] ?? 0);
    chunks.push(chunk);
  }
  return chunks;
}

/** 24 bits of SHA-256-HMAC over the column and code, independent of the slot hash. */
function checkHash(column: string, code: string): number {
  return createHmac('sha256', 'hefl-vocabulary-check')
    .update(column)
    .update('\u0000')
    .update(code)
    .digest()
    .readUIntBE(0, 3);
}
