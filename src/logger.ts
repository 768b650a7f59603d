import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout; tokens and secrets are redacted wherever they appear in a log object.
 * Written asynchronously (sonic-boom): lines logged while a write is under way go out together
 * in the next one, instead of one blocking write per line (a busy outbox logs every delivery).
 * Nothing is held back on purpose, and pino flushes what is left when the process exits.
 */
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
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
