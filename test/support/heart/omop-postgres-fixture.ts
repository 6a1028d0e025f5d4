import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { OMOP_DDL, type OmopTables } from './heart-to-omop.js';

/** Where the tests find PostgreSQL: HEFL_TEST_PG_URL, else the role `.ci/run` creates. */
export const TEST_PG_URL = process.env.HEFL_TEST_PG_URL ?? 'postgres://hefl:hefl@127.0.0.1:5432/hefl_test';

/**
 * A PostgreSQL server the test may use, or why not. In CI (`CI=true`) an unreachable server
 * is an error, so the OMOP PostgreSQL path is never skipped there silently.
 */
export async function probePostgres(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (e) {
    const reason = `PostgreSQL not reachable at ${TEST_PG_URL.replace(/:[^:@/]*@/, ':***@')} (${(e as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI must run the PostgreSQL test`);
    return { ok: false, reason };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates a fresh schema (random name) holding the OMOP tables, filled with `tables`, and
 * returns a connection string whose search path points at it, plus a function dropping it.
 */
export async function createOmopSchema(
  tables: OmopTables,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `hefl_omop_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    for (const [name, { columns, rows }] of Object.entries(tables)) {
      await client.query(`CREATE TABLE ${schema}.${name} (${OMOP_DDL[name]})`);
      if (rows.length === 0) continue;
      const values = rows.map(
        (row, r) => `(${row.map((_, c) => `$${r * columns.length + c + 1}`).join(',')})`,
      );
      await client.query(
        `INSERT INTO ${schema}.${name} (${columns.join(',')}) VALUES ${values.join(',')}`,
        rows.flat(),
      );
    }
  } finally {
    await client.end();
  }
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}
