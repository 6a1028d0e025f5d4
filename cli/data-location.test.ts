import { describe, expect, it } from 'vitest';
import { dataLocation } from './data-location.js';

describe('dataLocation (--data, --input, --mapping)', () => {
  it('keeps a postgres:// URL as given and makes paths absolute', () => {
    const url = 'postgres://reader@db:5432/cdm';
    expect(dataLocation({ data: url, input: 'omop', mapping: 'm.yaml' })).toMatchObject({
      input: 'omop',
      path: url,
    });
    const fhir = dataLocation({ data: 'export', input: 'fhir', mapping: 'm.yaml' });
    expect(fhir.path).toMatch(/^\/.*\/export$/);
    expect(fhir.mapping).toMatch(/^\/.*\/m\.yaml$/);
    expect(dataLocation({ data: 'a.csv', input: 'csv' })).toEqual({
      path: expect.stringMatching(/\/a\.csv$/),
    });
  });

  it('refuses combinations that cannot work, without echoing the URL', () => {
    expect(() => dataLocation({ data: 'x', input: 'fhir' })).toThrow('--input fhir needs --mapping FILE');
    expect(() => dataLocation({ data: 'a.csv', input: 'csv', mapping: 'm.yaml' })).toThrow(
      '--mapping applies to --input fhir or omop',
    );
    expect(() => dataLocation({ data: 'x', input: 'omop', mapping: 'm', columns: 'a,b' })).toThrow(
      '--columns applies to CSV input only',
    );
    expect(() => dataLocation({ data: 'postgres://u:pw@h/db', input: 'fhir', mapping: 'm' })).toThrow(
      /^--input fhir reads a Bulk Data export folder, not a database$/,
    );
  });
});
