/** DI token for the service's frozen config object (common + service variables). */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
/** DI token for the service's pino logger. */
export const LOGGER = Symbol('LOGGER');
