/** Why a value was refused, returned rather than thrown: the collector validates ~100k events/s
 *  and rejecting one is an ordinary outcome, not an exceptional one. */
export interface Problem {
  readonly message: string;
}

export function problem(message: string): Problem {
  return Object.freeze({ message });
}

export function isProblem<T extends string | number>(value: T | Problem): value is Problem {
  return typeof value === 'object';
}
