import { escapeHtml } from './escape-html.js';
import { htmlCell, htmlTable } from './html-table.js';
import type { ReportVerification } from './report-verification.js';

/** What a report rendered without any verification says of itself. */
export const NOT_VERIFIED_BY_CALLER: ReportVerification = {
  status: 'not verified',
  reason: 'this report was rendered without running verification',
  files: [],
  warnings: [],
};

/** The report's title line for its status: only a passed verification says "verified". */
export function verificationTitle(v: ReportVerification): string {
  if (v.status === 'verified') return 'Verified: the log is intact';
  if (v.status === 'failed') return 'NOT VERIFIED: verification failed';
  return 'NOT VERIFIED: verification was not possible';
}

/**
 * The verification banner and the sources table: status, what was checked or where it
 * failed (with the failing line as the file holds it), head hash, coordinator key,
 * federation and every input file with its SHA-256. Everything escaped, nothing in tooltips.
 */
export function verificationHtml(v: ReportVerification): string {
  const parts = [
    `<section id="verification" class="banner ${v.status === 'verified' ? 'verified' : v.status === 'failed' ? 'failed' : 'unverified'}" role="status">`,
    `<h2>${escapeHtml(verificationTitle(v))}</h2>`,
  ];
  if (v.status === 'verified') {
    parts.push(
      `<p>${v.entries} entries, seq 1–${v.lastSeq}. Head (hash of entry ${v.lastSeq}):</p>`,
      `<p class="mono" id="head-hash">${escapeHtml(v.headHash)}</p>`,
      `<p>Checked:</p><ul>${v.checked.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`,
    );
  } else if (v.status === 'failed') {
    const f = v.fault;
    const at = `${f.file}${f.line === undefined ? '' : ` line ${f.line}`}${f.seq === undefined ? '' : ` (seq ${f.seq})`}`;
    parts.push(
      `<p>First fault, at <span class="mono">${escapeHtml(at)}</span>: <strong>${escapeHtml(f.reason)}</strong></p>`,
      f.line === undefined
        ? ''
        : f.text === undefined
          ? '<p>The file ends before that line.</p>'
          : `<p>That line as the file holds it:</p><pre class="mono" id="failing-entry">${escapeHtml(f.text)}</pre>`,
      '<p>Everything below is what the log says; it is not verified and must not be relied on.</p>',
    );
  } else {
    parts.push(
      `<p>${escapeHtml(v.reason)}.</p>`,
      '<p>Everything below is what the log says; nothing in it was checked.</p>',
    );
  }
  if (v.warnings.length > 0) {
    parts.push(`<p>Warnings:</p><ul>${v.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  }
  parts.push('</section>', sourcesHtml(v));
  return parts.join('\n');
}

function sourcesHtml(v: ReportVerification): string {
  const facts = [
    ['federation id', v.federationId ?? 'not known (no manifest or pinned folder given)'],
    ['coordinator key id (fingerprint)', v.coordinatorKey?.keyId ?? 'none: no trust anchor'],
    ['coordinator public key (Ed25519)', v.coordinatorKey?.publicKey ?? 'none: no trust anchor'],
    ['trust anchor', v.anchor ?? 'none given'],
  ].map(([k, value]) => `<tr><th scope="row">${escapeHtml(k!)}</th>${htmlCell(value!, true)}</tr>`);
  const files = v.files.map(
    (f) =>
      `<tr>${htmlCell(f.role)}${htmlCell(f.path, true)}${htmlCell(f.bytes === undefined ? 'unreadable' : String(f.bytes))}${htmlCell(f.sha256 ?? '—', true)}</tr>`,
  );
  return [
    '<h2 id="sources">Federation, key and files</h2>',
    `<table><tbody>${facts.join('')}</tbody></table>`,
    files.length === 0
      ? '<p>No input files recorded.</p>'
      : htmlTable(['file', 'path', 'bytes', 'SHA-256'], files),
  ].join('\n');
}
