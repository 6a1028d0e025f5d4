import { describe, expect, it } from 'vitest';
import { ageInYears, daysFrom, parseIsoTime } from './clinical-event.js';

describe('clinical event times', () => {
  it('counts windows in calendar days, so a date-only record is on its day', () => {
    const visit = parseIsoTime('2020-01-01T09:30:00Z')!;
    expect(daysFrom(visit, parseIsoTime('2020-01-01')!)).toBe(0);
    expect(daysFrom(visit, parseIsoTime('2019-12-31T23:59:00Z')!)).toBe(-1);
    expect(daysFrom(visit, parseIsoTime('2020-01-02T00:00:00+02:00')!)).toBe(0); // 2020-01-01T22:00Z
  });

  it('reads FHIR and OMOP date forms and refuses others', () => {
    expect(parseIsoTime('2019')).toBe(Date.UTC(2019, 0, 1));
    expect(parseIsoTime('2019-05')).toBe(Date.UTC(2019, 4, 1));
    expect(parseIsoTime('2019-05-02 10:00:00')).toBe(Date.UTC(2019, 4, 2, 10));
    expect(parseIsoTime('02/05/2019')).toBeUndefined();
    expect(parseIsoTime('2019-13-45')).toBeUndefined();
  });

  it('counts age in full years at the index day', () => {
    expect(ageInYears(Date.UTC(1960, 5, 15), Date.UTC(2020, 5, 14))).toBe(59);
    expect(ageInYears(Date.UTC(1960, 5, 15), Date.UTC(2020, 5, 15))).toBe(60);
  });
});
