const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a trimmed cell as a plain decimal number ("63", "-1.5", ".7", "2e3"). Returns
 * undefined for anything else, including "", "0x1F", "Infinity" and overflowing values,
 * which `Number()` would accept or turn into 0 / Infinity.
 */
export function parseNumberCell(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
