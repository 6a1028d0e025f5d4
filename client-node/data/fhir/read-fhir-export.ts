import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HeflError } from '../../../common/errors/index.js';
import type { MappingSpec } from '../mapping/mapping-spec.js';
import { type MappedRows, PatientRows } from '../mapping/patient-rows.js';
import { fhirEvent, isVoided, patientOf, type ReadResource, recordMatches, timeOf } from './fhir-event.js';
import { FHIR_RESOURCE_TYPES } from './fhir-vocabulary.js';
import { readNdjson } from './read-ndjson.js';

interface ExportFile {
  readonly path: string;
  readonly name: string;
  readonly type: string;
}

/**
 * Reads a FHIR R4 Bulk Data export (a folder of `*.ndjson` files, one resource type per file
 * as the Bulk Data spec requires) through a mapping, streaming every file line by line.
 * Rows are the Patient resources in file order (file names sorted) that have an index event.
 * Records that were entered in error, refuted, cancelled or not taken count nowhere.
 * Order of reading: Patient files, then the index event's files, then the files of every
 * other mapped type. Throws `invalid_data` naming file and line (never a value) for a line
 * that is not a resource, a resource of another type than its file, or a Patient without id.
 */
export async function readFhirExport(dir: string, spec: MappingSpec): Promise<MappedRows> {
  if (spec.source !== 'fhir')
    throw new HeflError('invalid_config', `the mapping is for source '${spec.source}', not fhir`);
  const files = await exportFiles(dir);
  const rows = new PatientRows(spec);
  const ofType = (type: string) => files.filter((f) => f.type === type);
  const patientFiles = ofType('Patient');
  if (patientFiles.length === 0)
    throw new HeflError('invalid_data', `${basename(dir)}: the export holds no Patient file`);

  const patientColumns = spec.columns.flatMap((e, c) => (e.resource === 'Patient' ? [c] : []));
  await eachResource(patientFiles, (resource, where) => {
    const id = patientOf(resource);
    if (!id) throw new HeflError('invalid_data', `${where}: Patient without an id`);
    rows.addPatient(id, where);
    for (const c of patientColumns) {
      const entry = spec.columns[c]!;
      rows.add(id, c, fhirEvent(resource, entry.codes, entry.value, where));
    }
  });

  if (spec.index) {
    const { resource, codes } = spec.index;
    await eachResource(ofType(resource), (r) => {
      if (!isVoided(r) && recordMatches(r, codes)) rows.offerIndex(patientOf(r) ?? '', timeOf(r));
    });
  }

  const types = [...new Set(spec.columns.map((e) => e.resource))].filter((t) => t !== 'Patient');
  for (const type of types) {
    const columns = spec.columns.flatMap((e, c) => (e.resource === type ? [c] : []));
    await eachResource(ofType(type), (resource, where) => {
      if (isVoided(resource)) return;
      for (const c of columns) {
        const entry = spec.columns[c]!;
        if (!recordMatches(resource, entry.codes)) continue;
        rows.add(patientOf(resource) ?? '', c, fhirEvent(resource, entry.codes, entry.value, where));
      }
    });
  }
  return rows.finish();
}

/** The export's `.ndjson` files with the resource type of their first resource. */
async function exportFiles(dir: string): Promise<ExportFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.ndjson')).sort();
  } catch (cause) {
    throw new HeflError('invalid_argument', `cannot read FHIR export folder ${basename(dir)}`, { cause });
  }
  if (names.length === 0)
    throw new HeflError('invalid_data', `${basename(dir)}: no .ndjson files (a FHIR Bulk Data export)`);
  const files: ExportFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    for await (const { line, value } of readNdjson(path, name)) {
      files.push({ path, name, type: resourceType(value, `${name}:${line}`) });
      break;
    }
  }
  return files;
}

function resourceType(value: unknown, where: string): string {
  const type = (value as { resourceType?: unknown } | null)?.resourceType;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof type !== 'string') {
    throw new HeflError('invalid_data', `${where}: not a FHIR resource (no resourceType)`);
  }
  return type;
}

async function eachResource(
  files: readonly ExportFile[],
  visit: (resource: ReadResource, where: string) => void,
): Promise<void> {
  for (const file of files) {
    if (!FHIR_RESOURCE_TYPES.includes(file.type)) continue;
    for await (const { line, value } of readNdjson(file.path, file.name)) {
      const where = `${file.name}:${line}`;
      const type = resourceType(value, where);
      if (type !== file.type) {
        throw new HeflError(
          'invalid_data',
          `${where}: a ${type} in a file of ${file.type} resources (one type per file)`,
        );
      }
      try {
        visit(value as ReadResource, where);
      } catch (cause) {
        if (cause instanceof HeflError) throw cause;
        throw new HeflError('invalid_data', `${where}: ${type} does not have the FHIR R4 shape`, { cause });
      }
    }
  }
}
