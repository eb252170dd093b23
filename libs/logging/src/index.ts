export { createLogger, LOG_LEVELS } from './logger';
export type { Logger, LoggerOptions, LogLevel } from './logger';
export { PinoNestLogger } from './nest-logger';
