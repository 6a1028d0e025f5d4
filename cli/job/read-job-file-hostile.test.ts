import { describe, expect, it } from 'vitest';
import { HeflError } from '../../common/errors/index.js';
import { parseJobText } from './read-job-file.js';

const JOB = `name: heart
model: { kind: logreg }
rounds: 2
data: { label: event }
`;

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('job files a researcher might really have, or an attacker might craft', () => {
  it('accepts a YAML or JSON job file that starts with a UTF-8 byte order mark', () => {
    const yaml = parseJobText(`\uFEFF${JOB}`, 'job.yaml');
    const json = parseJobText(
      `\uFEFF${JSON.stringify({ model: { kind: 'logreg' }, rounds: 2, data: { label: 'event' } })}`,
      'job.json',
    );

    expect(yaml.spec.rounds).toBe(2);
    expect(json.spec.rounds).toBe(2);
  });

  it('refuses a YAML alias bomb as a bad job file (invalid_config, exit 2) with a clear message', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = `${lines.join('\n')}\nname: *i\n`;

    const error = caught(() => parseJobText(bomb, 'bomb.yaml'));

    expect(HeflError.is(error, 'invalid_config')).toBe(true);
    expect((error as Error).message).toMatch(/bomb\.yaml/);
    expect((error as Error).message).toMatch(/aliases/);
  });
});
