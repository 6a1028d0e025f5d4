import { type CodeNormalisation, DEFAULT_CODE_NORMALISATION } from '../../common/job/feature-schema.js';
import { parseNumberCell } from './parse-number-cell.js';

/**
 * A category cell in the job's canonical form (see `CodeNormalisation`): with the default
 * rule `' 4.0 '`, `'4'` and `'04'` all become `'4'`, so hospitals that write codes as floats
 * and those that write integers share one code. Pure and deterministic: every site computes
 * the same form.
 */
export function normaliseCode(text: string, rule: CodeNormalisation = DEFAULT_CODE_NORMALISATION): string {
  let value = rule.whitespace === 'collapse' ? text.trim().replace(/\s+/g, ' ') : text.trim();
  if (rule.numericCodes) {
    const number = parseNumberCell(value);
    if (number !== undefined) return String(number === 0 ? 0 : number);
  }
  if (rule.case === 'lower') value = value.toLowerCase();
  return value;
}
