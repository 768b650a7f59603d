// API date-times are stored as UTC text with six fraction digits ("2024-05-01T08:30:00.000000Z"):
// it sorts the same as the instant on both engines and keeps the microseconds clients send.

const ISO = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO-8601 date-time (a missing offset means UTC) into the stored form, or undefined. */
export function toStoredDateTime(value: string): string | undefined {
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [, date, time, fraction = '', offset = 'Z'] = m;
  const seconds = time!.length === 5 ? `${time}:00` : time!;
  const ms = Date.parse(`${date}T${seconds}${offset.toUpperCase() === 'Z' ? 'Z' : normaliseOffset(offset)}`);
  if (Number.isNaN(ms)) return undefined;
  const whole = new Date(ms).toISOString().slice(0, 19);
  return `${whole}.${fraction.slice(0, 6).padEnd(6, '0')}Z`;
}

/** The stored form as the API shows it, like Django REST framework: fraction only when non-zero. */
export function toApiDateTime(stored: string): string {
  return stored.replace(/\.0{6}Z$/, 'Z');
}

export function nowStoredDateTime(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function normaliseOffset(offset: string): string {
  return offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
}
