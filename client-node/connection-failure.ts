import { status } from '@grpc/grpc-js';

/** Why the task stream to the coordinator ended, and whether trying again can help. */
export type ConnectionFailure =
  | { readonly permanent: true; readonly reason: string; readonly whatToDo: string }
  | { readonly permanent: false; readonly reason: string };

/**
 * Sorts a task-stream error: refusals no retry can change (this site revoked, its certificate
 * not admitted, a coordinator whose certificate is not the pinned one, a port that does not
 * speak TLS) are permanent; anything else (coordinator down, network, restart) is transient.
 * The reason is hefl's own wording, never raw OpenSSL text.
 */
export function classifyConnectionFailure(error: Error | undefined): ConnectionFailure {
  if (!error) return { permanent: false, reason: 'stream ended' };
  const code = (error as { code?: unknown }).code;
  const text = `${(error as { details?: unknown }).details ?? ''} ${error.message}`;
  if (code === status.PERMISSION_DENIED)
    return {
      permanent: true,
      reason: /revoked/i.test(text)
        ? 'the coordinator refused this site: it is revoked'
        : 'the coordinator refused this site (permission denied)',
      whatToDo:
        'ask the coordinator operator; a revoked site must enrol again (hefl site enroll) and be admitted',
    };
  if (code === status.UNAUTHENTICATED)
    return {
      permanent: true,
      reason: "the coordinator does not accept this site's certificate (not admitted in its federation)",
      whatToDo:
        'check --coordinator points at your federation, and that this folder holds the current admission (hefl site install-admission)',
    };
  if (/wrong version number|packet length too long|http_request|unknown protocol/i.test(text))
    return {
      permanent: true,
      reason: 'the address does not speak TLS gRPC (wrong port, or another service listens there)',
      whatToDo: 'check the host:port given to --coordinator',
    };
  if (
    /certificate|self[- ]signed|unable to verify|fingerprint|pinned|Hostname\/IP does not match/i.test(text)
  )
    return {
      permanent: true,
      reason:
        "the coordinator's certificate is not the one pinned in this site's folder (another federation's coordinator?)",
      whatToDo: 'check --coordinator; if the coordinator was re-created, install a new admission',
    };
  return { permanent: false, reason: error.message.slice(0, 200) };
}
