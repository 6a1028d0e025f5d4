import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../common/errors/index.js';
import { runCliError } from '../../test/support/run-cli.js';

describe('--input and --mapping on hefl site start and hefl simulate', () => {
  it('site start refuses fhir/omop input without a mapping as a usage error (exit 2)', async () => {
    const error = await runCliError(
      'site',
      'start',
      '--dir',
      '/nonexistent',
      '--data',
      'export',
      '--input',
      'fhir',
    );
    expect(error.message).toBe('--input fhir needs --mapping FILE');
    expect(ERROR_CODES[error.code].exitCode).toBe(2);
  });

  it('site start names no password when a database URL is given to fhir input', async () => {
    const error = await runCliError(
      'site',
      'start',
      '--dir',
      '/nonexistent',
      '--data',
      'postgres://u:pw-secret@h/db',
      '--input',
      'fhir',
      '--mapping',
      'm.yaml',
    );
    expect(error.message).not.toContain('pw-secret');
  });

  it('simulate refuses fhir/omop input without --data and --mapping, and a mapping for CSV', async () => {
    const missing = await runCliError('simulate', '--input', 'omop', '--mapping', 'm.yaml');
    expect(missing.message).toBe('--input omop needs --data DIR (one folder per site) and --mapping FILE');
    const csvMapping = await runCliError('simulate', '--data', '.', '--mapping', 'm.yaml');
    expect(csvMapping.message).toBe('--mapping applies to --input fhir or omop');
  });
});
