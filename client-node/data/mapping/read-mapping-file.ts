import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { HeflError } from '../../../common/errors/index.js';
import { fhirVocabulary } from '../fhir/fhir-vocabulary.js';
import { omopVocabulary } from '../omop/omop-vocabulary.js';
import { type MappingSpec, parseMappingSpec } from './mapping-spec.js';

/**
 * Reads and validates a mapping file (YAML or JSON) hospital IT writes once per source.
 * Unreadable: `invalid_argument`; not YAML or not a valid mapping: `invalid_config` with
 * every problem as `path: message`.
 */
export async function readMappingFile(path: string): Promise<MappingSpec> {
  const fileName = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new HeflError('invalid_argument', `cannot read mapping file ${fileName}`, { cause });
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (cause) {
    const line = (cause as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new HeflError('invalid_config', `${fileName}${line ? `:${line}` : ''}: not valid YAML`, { cause });
  }
  return parseMappingSpec(value, fileName, (source) => (source === 'fhir' ? fhirVocabulary : omopVocabulary));
}
