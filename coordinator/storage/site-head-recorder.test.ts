import { describe, expect, it } from 'vitest';
import { auditHeadMessage } from '../../common/audit/audit-head.js';
import { generateSigningKeyPair, toHex } from '../../common/crypto/index.js';
import { nativeSigner } from '../../common/crypto/native-ed25519.js';
import { MemoryAuditSink } from './audit-sink.js';
import { SITE_HEAD_INTERVAL_MS, SiteHeadRecorder } from './site-head-recorder.js';

const site = { id: 'site-a', ...generateSigningKeyPair() };
const member = { id: site.id, signingPublicKey: site.publicKey };

/** A head of the site's own log as the site signs and sends it. */
function headJson(seq: number, secretKey = site.secretKey): Uint8Array {
  const hash = toHex(new Uint8Array(32).fill(seq % 256));
  const sig = Buffer.from(nativeSigner(secretKey)(auditHeadMessage(seq, hash))).toString('base64');
  return new TextEncoder().encode(JSON.stringify({ seq, hash, sig }));
}

function recorder() {
  let now = 1_000_000;
  const audit = new MemoryAuditSink();
  const heads = new SiteHeadRecorder({ audit, clock: { now: () => now } });
  return { audit, heads, advance: (ms: number) => (now += ms) };
}

describe('SiteHeadRecorder', () => {
  it('records a site head from hellos at most once per interval and only when it moved (no amplification)', () => {
    const { audit, heads, advance } = recorder();
    // 1000 reconnects, each with a new head, within one interval: one entry.
    for (let seq = 1; seq <= 1000; seq++) heads.onHello(member, headJson(seq));
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor: 'site-a', action: 'site-head.recorded' });
    expect((audit.entries[0]!.details.siteHead as { seq: number }).seq).toBe(1);

    // After the interval, an unchanged (or older) head adds nothing; a newer one adds one entry.
    advance(SITE_HEAD_INTERVAL_MS);
    heads.onHello(member, headJson(1));
    expect(audit.entries).toHaveLength(1);
    heads.onHello(member, headJson(1000));
    heads.onHello(member, headJson(1001));
    expect(audit.entries.map((e) => (e.details.siteHead as { seq: number }).seq)).toEqual([1, 1000]);
  });

  it('never records a head the site did not sign, an oversized or malformed one', () => {
    const { audit, heads } = recorder();
    const other = generateSigningKeyPair();
    heads.onHello(member, headJson(5, other.secretKey));
    heads.onHello(member, new TextEncoder().encode(`{"seq":5,"hash":"${'a'.repeat(4096)}","sig":"x"}`));
    heads.onHello(member, new TextEncoder().encode('not json'));
    heads.onHello(member, new Uint8Array());
    expect(audit.entries).toHaveLength(0);
    expect(heads.verified(member, headJson(5, other.secretKey))).toBeUndefined();
    expect(heads.verified(member, headJson(5))).toMatchObject({ seq: 5 });
  });
});
