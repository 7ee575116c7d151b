/** Shared settings of the property suites: seeded, sized for CI, with a knob for soaks. */
import fc from 'fast-check';

/** `FC_SEED` when set (to replay a failure), else a fresh seed that is printed on failure. */
export const seed =
  process.env['FC_SEED'] !== undefined ? Number(process.env['FC_SEED']) : Math.floor(Math.random() * 2 ** 31);

/** Runs per property: `base` in CI, times `FC_RUNS_FACTOR` (or exactly `FC_RUNS`) for soaks. */
export function numRuns(base: number): number {
  if (process.env['FC_RUNS'] !== undefined) return Number(process.env['FC_RUNS']);
  return Math.round(base * Number(process.env['FC_RUNS_FACTOR'] ?? 1));
}

/** fast-check parameters for a property of `base` runs; failures print the seed to replay. */
export function params(base: number): fc.Parameters<unknown> {
  return {
    seed,
    numRuns: numRuns(base),
    endOnFailure: false,
    reporter: (details) => {
      if (details.failed) {
        throw new Error(
          `Property failed after ${details.numRuns} runs — replay with FC_SEED=${details.seed} (path ${details.counterexamplePath ?? '?'})\n` +
            `Counterexample: ${fc.stringify(details.counterexample).slice(0, 3000)}\n${details.errorInstance instanceof Error ? (details.errorInstance.stack ?? details.errorInstance.message) : String(details.errorInstance)}`,
        );
      }
    },
  };
}
