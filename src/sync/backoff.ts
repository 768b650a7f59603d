/**
 * The delay before retry number `attempts` (1 = after the first failure): exponential from
 * `baseMs`, capped, with "equal jitter" — half fixed, half random — so retries after an outage
 * spread out instead of hitting a recovering DRC together. Without a limit on attempts.
 */
export function nextDelayMs(
  attempts: number,
  baseMs = 1_000,
  capMs = 15 * 60_000,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
