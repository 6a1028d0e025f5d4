/**
 * `condition`, printing why the guarded tests are skipped when it is false: use as
 * `describe.runIf(runsIf(existsSync(X), 'X not found'))` so no skip is silent.
 */
export function runsIf(condition: boolean, whySkipped: string): boolean {
  if (!condition) console.log(`[skipped] ${whySkipped}`);
  return condition;
}
