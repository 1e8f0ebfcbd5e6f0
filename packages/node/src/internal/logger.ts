import pino from 'pino';

export type Logger = pino.Logger;

/** Creates the structured logger (pino); `level: 'silent'` in tests. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'groundwork',
    level: options.level ?? 'info',
    redact: {
      paths: ['*.privateKey', '*.oracleKeys', 'settings.oracleKeys', 'settings.operatorKeys'],
      censor: '[redacted]',
    },
  });
}
