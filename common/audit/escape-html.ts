const REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values (also inside SVG). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => REPLACEMENTS[c]!);
}
