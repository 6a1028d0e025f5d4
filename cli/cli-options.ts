import { InvalidArgumentError } from 'commander';

/** commander parser for a positive integer option, e.g. `--sites 3`. */
export function positiveInteger(name: string, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`);
    }
    return n;
  };
}

/** commander parser for a positive finite number, e.g. `--dp-epsilon 1.5`. */
export function positiveNumber(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} must be a positive number`);
    }
    return n;
  };
}

/** commander parser for one of a fixed set of words. */
export function oneOf<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${name} must be one of: ${choices.join(', ')}`);
    }
    return value as T;
  };
}
