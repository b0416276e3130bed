/**
 * The two string formats the OpenAPI document uses, for ajv: RFC 3339 date-times (with a UTC
 * offset, and a real calendar date) and UUIDs. Two formats do not justify a runtime dependency
 * (the flow library's scorecard counts them).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetHours = m[7] === undefined ? 0 : Number(m[7]);
  const offsetMinutes = m[8] === undefined ? 0 : Number(m[8]);
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) &&
    hour <= 23 && minute <= 59 && second <= 60 && offsetHours <= 23 && offsetMinutes <= 59
  );
}

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** What ajv.addFormat takes, by format name. */
export const API_FORMATS = {
  'date-time': { type: 'string', validate: isDateTime },
  uuid: { type: 'string', validate: isUuid },
} as const;
