import pg from 'pg';
import { HeflError } from '../../../common/errors/index.js';
import type { OmopRow, OmopSource } from './omop-source.js';

const BATCH_ROWS = 5_000;

/**
 * The connection string with its password replaced by `***`: the only form hefl puts into
 * messages and logs. A string that is not a URL becomes `(database)`.
 */
export function redactConnectionString(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(database)';
  }
}

/**
 * OMOP CDM tables in PostgreSQL (`postgres://user:password@host:port/db`; a schema other
 * than the search path's goes in the URL: `?options=-c%20search_path%3Dcdm`). Each table is
 * read through a server-side cursor in batches, only the rows of the mapped concept ids,
 * every column cast to text. Connection and query failures are `unavailable` /
 * `invalid_data` naming the redacted URL and the table, never a password or a value.
 */
export async function openOmopPostgres(url: string): Promise<OmopSource> {
  const name = redactConnectionString(url);
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (cause) {
    throw new HeflError('unavailable', `cannot connect to the OMOP database ${name}`, {
      cause: scrub(cause, url),
    });
  }
  return {
    name,
    async *rows(table, columns, concept) {
      const select = columns
        .map((c) => `${pg.escapeIdentifier(c)}::text AS ${pg.escapeIdentifier(c)}`)
        .join(', ');
      const where = concept ? ` WHERE ${pg.escapeIdentifier(concept.column)} = ANY($1::bigint[])` : '';
      const order = table === 'person' ? ' ORDER BY person_id' : '';
      const sql = `SELECT ${select} FROM ${pg.escapeIdentifier(table)}${where}${order}`;
      let n = 0;
      let open = false;
      try {
        await client.query('BEGIN READ ONLY');
        open = true;
        await client.query(`DECLARE hefl_rows NO SCROLL CURSOR FOR ${sql}`, concept ? [concept.ids] : []);
        for (;;) {
          const batch = await client.query<Record<string, string | null>>(
            `FETCH ${BATCH_ROWS} FROM hefl_rows`,
          );
          if (batch.rows.length === 0) break;
          for (const record of batch.rows) {
            n++;
            yield row(record, `${table.toUpperCase()} (database row ${n})`);
          }
        }
        open = false;
        await client.query('COMMIT');
      } catch (cause) {
        if (cause instanceof HeflError) throw cause;
        const code = (cause as { code?: string }).code;
        const what =
          code === '42P01'
            ? 'no such table'
            : code === '42703'
              ? 'a needed column is missing'
              : 'query failed';
        throw new HeflError('invalid_data', `${name}: table ${table.toUpperCase()}: ${what}`, {
          cause: scrub(cause, url),
        });
      } finally {
        // Stopped early (an error in the caller, or in the query): end the transaction.
        if (open) await client.query('ROLLBACK').catch(() => {});
      }
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}

function row(record: Record<string, string | null>, where: string): OmopRow {
  return {
    where,
    get(column) {
      const value = record[column];
      if (value === null || value === undefined) return undefined;
      const trimmed = value.trim();
      return trimmed === '' ? undefined : trimmed;
    },
  };
}

/** A driver error as a plain Error whose message cannot carry the connection string's password. */
function scrub(cause: unknown, url: string): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {}
  return new Error(password ? message.split(password).join('***') : message);
}
