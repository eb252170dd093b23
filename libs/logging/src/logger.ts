import pino from 'pino';

export type Logger = pino.Logger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoggerOptions {
  /** Service name, stamped on every line as `service`. */
  readonly service: string;
  readonly level?: LogLevel;
  readonly version?: string;
  /** Where lines go; stdout by default (one JSON object a line). */
  readonly destination?: pino.DestinationStream;
}

/**
 * Structured JSON logger. Secrets that might reach a log line through error objects or
 * config dumps are redacted by path.
 */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service, ...(opts.version ? { version: opts.version } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'password',
          '*.password',
          'config.CLICKHOUSE_PASSWORD',
          'config.KAFKA_SASL_PASSWORD',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    opts.destination,
  );
}
