import { escapeHtml } from './escape-html.js';

/** A table with escaped headers; `rows` are complete `<tr>` elements the caller built (and escaped). */
export function htmlTable(headers: readonly string[], rows: readonly string[]): string {
  const head = headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** One escaped cell; `mono` for digests, key ids and other values to be read character by character. */
export function htmlCell(text: string, mono = false): string {
  return `<td${mono ? ' class="mono"' : ''}>${escapeHtml(text)}</td>`;
}
