import { HeflError } from '../../common/errors/index.js';
import { STRATEGY_NAMES, type StrategyName } from '../../common/job/strategy-config.js';

/**
 * The server optimizer's memory between rounds, held by every site (the coordinator never
 * sees it: it is derived from decrypted aggregates). Sites persist it with
 * `encodeStrategyState` so a restarted site resumes with bit-identical moments.
 */
export interface StrategyState {
  readonly strategy: StrategyName;
  /** Number of server steps taken so far (1 after the first round). */
  readonly round: number;
  /** First moment m_t per parameter (adaptive strategies), float64 for reproducibility. */
  readonly m: Float64Array | null;
  /** Second moment v_t per parameter (adaptive strategies). */
  readonly v: Float64Array | null;
}

const MAGIC = [0x48, 0x53, 0x53, 0x54]; // 'HSST'
const VERSION = 1;
const HAS_M = 1;
const HAS_V = 2;

/**
 * Layout (little-endian): 'HSST' | version u8 | name length u8 | name ASCII | round u32 |
 * parameter count u32 | flags u8 (1 = m, 2 = v) | m f64[count]? | v f64[count]?
 */
export function encodeStrategyState(state: StrategyState): Uint8Array {
  const count = state.m?.length ?? state.v?.length ?? 0;
  if ((state.m && state.m.length !== count) || (state.v && state.v.length !== count)) {
    throw new HeflError('invalid_argument', 'strategy state moments differ in length');
  }
  const name = Buffer.from(state.strategy, 'ascii');
  const arrays = [state.m, state.v].filter((a): a is Float64Array => a !== null);
  const header = 4 + 1 + 1 + name.length + 4 + 4 + 1;
  const out = new Uint8Array(header + arrays.length * count * 8);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint8(4, VERSION);
  view.setUint8(5, name.length);
  out.set(name, 6);
  let at = 6 + name.length;
  view.setUint32(at, state.round, true);
  view.setUint32(at + 4, count, true);
  view.setUint8(at + 8, (state.m ? HAS_M : 0) | (state.v ? HAS_V : 0));
  at += 9;
  for (const array of arrays) {
    for (let i = 0; i < count; i += 1) {
      view.setFloat64(at, array[i]!, true);
      at += 8;
    }
  }
  return out;
}

function bad(detail: string): HeflError {
  return new HeflError('invalid_data', `strategy state: ${detail}`);
}

/** Inverse of `encodeStrategyState`; throws `invalid_data` naming what is wrong. */
export function decodeStrategyState(bytes: Uint8Array): StrategyState {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 6 || MAGIC.some((b, i) => bytes[i] !== b))
    throw bad('not a strategy state (bad magic)');
  if (view.getUint8(4) !== VERSION) throw bad(`unsupported version ${view.getUint8(4)}`);
  const nameLength = view.getUint8(5);
  const header = 6 + nameLength + 9;
  if (bytes.byteLength < header) throw bad('truncated header');
  const strategy = Buffer.from(bytes.subarray(6, 6 + nameLength)).toString('ascii');
  if (!(STRATEGY_NAMES as readonly string[]).includes(strategy)) throw bad(`unknown strategy '${strategy}'`);
  let at = 6 + nameLength;
  const round = view.getUint32(at, true);
  const count = view.getUint32(at + 4, true);
  const flags = view.getUint8(at + 8);
  at += 9;
  if ((flags & ~(HAS_M | HAS_V)) !== 0) throw bad(`unknown flags ${flags}`);
  const arrays = ((flags & HAS_M) !== 0 ? 1 : 0) + ((flags & HAS_V) !== 0 ? 1 : 0);
  const expected = header + arrays * count * 8;
  if (bytes.byteLength !== expected) throw bad(`expected ${expected} bytes, got ${bytes.byteLength}`);
  const read = (): Float64Array => {
    const array = new Float64Array(count);
    for (let i = 0; i < count; i += 1) {
      array[i] = view.getFloat64(at, true);
      at += 8;
    }
    return array;
  };
  const m = (flags & HAS_M) !== 0 ? read() : null;
  const v = (flags & HAS_V) !== 0 ? read() : null;
  return { strategy: strategy as StrategyName, round, m, v };
}
