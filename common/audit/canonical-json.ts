/**
 * Canonical JSON for audit hashes: object keys sorted recursively by code unit, no
 * whitespace, `undefined` fields dropped, non-finite numbers refused (`invalid_argument`).
 * Writer and verifier hash the canonical form of the parsed entry, so a hash never depends
 * on how a line was formatted, only on its content.
 *
 * The job spec already defines exactly this function (`common/job/canonical-json.ts`); the
 * audit log re-exports it instead of keeping a third copy, so a job hash and an audit hash
 * can never drift apart in how they serialise.
 */
export { canonicalJson } from '../job/canonical-json.js';
