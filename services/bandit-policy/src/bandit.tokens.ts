/** DI token: the wired bandit-policy runtime (see bandit-runtime.ts). */
export const BANDIT_RUNTIME = Symbol('BANDIT_RUNTIME');
