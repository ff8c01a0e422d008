/** Settings of the benchmarks, from the environment. */

/** A whole number from `name`, or `fallback` when unset; anything else stops the benchmark. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a whole number (got "${raw}")`);
  return Number(raw);
}
