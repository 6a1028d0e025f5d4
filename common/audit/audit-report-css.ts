/**
 * The audit report's only stylesheet (inline: the page loads nothing). Contrast meets WCAG AA
 * on white; status is said in words, never only by colour. The print rules keep the banner's
 * colour, repeat table headers, avoid splitting rows and wrap long digests instead of cutting them.
 */
export const AUDIT_REPORT_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
td.mono,p.mono,pre.mono{overflow-wrap:anywhere;word-break:break-all;white-space:pre-wrap}
.note{color:#57606a}.refusal td{background:#fff8f8}
.banner{border-left:6px solid;padding:0.5em 1em;margin:1em 0}.banner h2{margin:0.2em 0}
.verified{border-color:#1a7f37;background:#dafbe1}.failed{border-color:#cf222e;background:#ffebe9}
.unverified{border-color:#9a6700;background:#fff8c5}
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-weight:600}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;font-size:10pt}.banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
thead{display:table-header-group}tr,figure,.banner{break-inside:avoid}h2{break-after:avoid}td.mono{font-size:9pt}}`;
