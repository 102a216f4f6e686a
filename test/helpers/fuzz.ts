/**
 * The seed of this run's property-based tests: FUZZ_SEED to reproduce a run (fast-check prints the seed and the
 * shrunk counterexample on failure), else a fresh one, printed once so any run can be repeated.
 */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got "${given}".`);
    return seed;
  }
  const seed = Math.floor(Math.random() * 2 ** 31);
  process.stderr.write(`fuzz seed ${seed} (rerun with FUZZ_SEED=${seed})\n`);
  return seed;
}
