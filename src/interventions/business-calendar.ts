/**
 * Working-time arithmetic on an organisation's calendar: a time zone, working
 * days, working hours and holidays. Pure functions; time-zone conversion with
 * Intl.DateTimeFormat, so DST changes are handled by the platform's tz data.
 */

export interface BusinessCalendar {
  /** IANA time zone, e.g. Europe/London. */
  timeZone: string;
  /** ISO weekdays that are worked: 1 = Monday … 7 = Sunday. */
  workingDays: number[];
  /** Local start and end of the working day, `HH:MM` (end after start). */
  dayStart: string;
  dayEnd: string;
  /** Local dates off, `YYYY-MM-DD`. */
  holidays: string[];
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of an instant in a time zone. */
export function localParts(instant: Date | number, timeZone: string): LocalParts {
  const parts = formatter(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: WEEKDAYS[get('weekday')],
  };
}

/** Offset of the zone from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a zone. A time skipped by a
 * spring-forward change maps to the instant after the gap; a repeated time
 * (fall back) maps to its first occurrence.
 */
export function zonedTimeToInstant(
  date: { year: number; month: number; day: number },
  minutesOfDay: number,
  timeZone: string,
): number {
  // Every clock walks the same few working days: remember the answers (Intl is slow).
  const key = `${timeZone}|${date.year}-${date.month}-${date.day}|${minutesOfDay}`;
  const known = instants.get(key);
  if (known !== undefined) return known;
  if (instants.size >= 20_000) instants.clear();
  const instant = computeZonedTimeToInstant(date, minutesOfDay, timeZone);
  instants.set(key, instant);
  return instant;
}

const instants = new Map<string, number>();

function computeZonedTimeToInstant(
  date: { year: number; month: number; day: number },
  minutesOfDay: number,
  timeZone: string,
): number {
  const guess = Date.UTC(date.year, date.month - 1, date.day) + minutesOfDay * MINUTE;
  const first = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(first, timeZone);
  if (first === second) return first;
  // Around a change: prefer the earlier candidate that reads back as the wanted time.
  const candidates = [Math.min(first, second), Math.max(first, second)];
  for (const c of candidates) {
    const p = localParts(c, timeZone);
    if (p.hour * 60 + p.minute === minutesOfDay && p.day === date.day) return c;
  }
  return Math.max(first, second);
}

export const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** Minutes of one working day on this calendar. */
export const workingDayMinutes = (cal: BusinessCalendar) =>
  minutesOf(cal.dayEnd) - minutesOf(cal.dayStart);

const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = (d: { year: number; month: number; day: number }) =>
  `${d.year}-${pad(d.month)}-${pad(d.day)}`;

/** Calendar days as plain dates (no zone): step with UTC arithmetic. */
function nextDate(d: { year: number; month: number; day: number }) {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day) + DAY);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}
function weekdayOf(d: { year: number; month: number; day: number }) {
  const w = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** The working window of a local date as UTC instants, or null on a day off. */
export function workingWindow(
  d: { year: number; month: number; day: number },
  cal: BusinessCalendar,
): [number, number] | null {
  if (!cal.workingDays.includes(weekdayOf(d))) return null;
  if (cal.holidays.includes(isoDate(d))) return null;
  return [
    zonedTimeToInstant(d, minutesOf(cal.dayStart), cal.timeZone),
    zonedTimeToInstant(d, minutesOf(cal.dayEnd), cal.timeZone),
  ];
}

/** Safety bound: ten years of calendar days. */
const MAX_DAYS = 3660;

/** Working milliseconds between two instants (0 when `to` ≤ `from`). */
export function workingMsBetween(from: number, to: number, cal: BusinessCalendar): number {
  if (to <= from) return 0;
  let total = 0;
  let d = localParts(from, cal.timeZone) as { year: number; month: number; day: number };
  for (let i = 0; i < MAX_DAYS; i++) {
    const window = workingWindow(d, cal);
    if (window) {
      if (window[0] >= to) break;
      const start = Math.max(window[0], from);
      const end = Math.min(window[1], to);
      if (end > start) total += end - start;
    } else if (Date.UTC(d.year, d.month - 1, d.day) - DAY > to) {
      break;
    }
    d = nextDate(d);
  }
  return total;
}

/** The instant after `from` at which `ms` of working time have passed. */
export function addWorkingMs(from: number, ms: number, cal: BusinessCalendar): number {
  let remaining = ms;
  let d = localParts(from, cal.timeZone) as { year: number; month: number; day: number };
  for (let i = 0; i < MAX_DAYS; i++) {
    const window = workingWindow(d, cal);
    if (window && window[1] > from) {
      const start = Math.max(window[0], from);
      const available = window[1] - start;
      if (remaining <= available) {
        // Zero remaining at a window's edge is "now" only when already inside working time.
        return remaining === 0 && from < window[0] ? from : start + remaining;
      }
      remaining -= available;
    }
    d = nextDate(d);
  }
  throw new Error('the calendar has no working time within ten years');
}

/** Problems with a calendar, for validation on save; empty when it is usable. */
export function calendarProblems(cal: BusinessCalendar): string[] {
  const problems: string[] = [];
  if (!isValidTimeZone(cal.timeZone))
    problems.push(`timeZone "${cal.timeZone}" is not an IANA time zone`);
  if (!cal.workingDays.length) problems.push('workingDays must name at least one day');
  if (cal.workingDays.some((d) => !Number.isInteger(d) || d < 1 || d > 7))
    problems.push('workingDays are ISO weekdays 1 (Monday) to 7 (Sunday)');
  const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
  if (!hhmm.test(cal.dayStart) || !(hhmm.test(cal.dayEnd) || cal.dayEnd === '24:00'))
    problems.push('dayStart and dayEnd are HH:MM');
  else if (minutesOf(cal.dayEnd) <= minutesOf(cal.dayStart))
    problems.push('dayEnd must be after dayStart');
  for (const h of cal.holidays)
    if (!/^\d{4}-\d{2}-\d{2}$/.test(h) || Number.isNaN(Date.parse(`${h}T00:00:00Z`)))
      problems.push(`holiday "${h}" is not a YYYY-MM-DD date`);
  return problems;
}
