// The page's language, its words and how dates, times and amounts are written in it. Dates and
// times are always shown in the listing's (or business's) time zone, never the browser's.
const element = document.getElementById('hf-config');
export const config = element ? JSON.parse(element.textContent) : { lang: 'en', words: {}, args: {} };
export const lang = config.lang;

// The phrase of `key` with `{name}` placeholders filled in.
export function t(key, params = {}) {
  const phrase = config.words[key] ?? key;
  return phrase.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function locale() {
  return lang === 'ko' ? 'ko-KR' : 'en-GB';
}

const digitsCache = new Map();
// Minor units of a currency (KRW 0, EUR 2), as Intl knows them.
export function minorDigits(currency) {
  if (!digitsCache.has(currency)) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch { /* an unknown code: two */ }
    digitsCache.set(currency, digits);
  }
  return digitsCache.get(currency);
}

// A Money ({amountMinor, currency}) in the page's language: "₩12,000", "€45.50".
export function money(m) {
  if (!m) return '';
  const digits = minorDigits(m.currency);
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: m.currency }).format(m.amountMinor / 10 ** digits);
}

// A Money in few characters, for calendar cells: "₩5천", "₩120K".
export function moneyShort(m) {
  if (!m) return '';
  const digits = minorDigits(m.currency);
  return new Intl.NumberFormat(locale(), { style: 'currency', currency: m.currency, notation: 'compact', maximumFractionDigits: 1 })
    .format(m.amountMinor / 10 ** digits);
}

// A major-unit amount typed by a person → minor units.
export function toMinor(text, currency) {
  const value = Number(String(text).replace(/[, ]/g, ''));
  if (!Number.isFinite(value) || value < 0) return null;
  return Math.round(value * 10 ** minorDigits(currency));
}

// An instant in a zone: "12월 7일 (토) 19:00" / "Sat 7 Dec, 19:00".
export function dateTime(iso, timeZone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale(), {
    timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(iso));
}

// The date of an instant in a zone, with its year: "2027년 12월 8일" / "8 December 2027".
export function dateWithYear(iso, timeZone) {
  return new Intl.DateTimeFormat(locale(), { timeZone, year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(iso));
}

// A time of day of an instant in a zone: "19:00".
export function clock(iso, timeZone) {
  return new Intl.DateTimeFormat(locale(), { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

// A local date "2026-12-07": "12월 7일 (월)" / "Mon 7 Dec" (with the year when asked).
export function date(ymd, withYear = false) {
  if (!ymd) return '';
  const [y, m, d] = ymd.slice(0, 10).split('-').map(Number);
  const options = { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' };
  if (withYear) options.year = 'numeric';
  return new Intl.DateTimeFormat(locale(), options).format(new Date(Date.UTC(y, m - 1, d)));
}

// "7 December" / "12월 7일": for screen readers' calendar cells.
export function longDate(ymd) {
  const [y, m, d] = ymd.slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', day: 'numeric', month: 'long', weekday: 'long' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

// "December 2026" / "2026년 12월".
export function monthName(year, month) {
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', month: 'long', year: 'numeric' })
    .format(new Date(Date.UTC(year, month - 1, 1)));
}

// Short weekday names, Monday first.
export function weekdays() {
  const f = new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', weekday: 'short' });
  return [...Array(7).keys()].map((i) => f.format(new Date(Date.UTC(2024, 0, 1 + i))));
}

// The server's clock, as far as this page knows it: every rule is decided by the server's
// clock, so countdowns and "today" follow it, not the device's (a phone's clock may be off).
let skew = 0;
export function setServerTime(iso) {
  const at = Date.parse(iso);
  if (Number.isFinite(at)) skew = at - Date.now();
}
export function now() {
  return Date.now() + skew;
}

// Today's date in a zone, "YYYY-MM-DD".
export function today(timeZone) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(now()));
}

// Date arithmetic on "YYYY-MM-DD".
export function addDays(ymd, days) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// "mm:ss" of a number of seconds.
export function mmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

// The offset (ms) of a zone from UTC at an instant.
function zoneOffset(instantMs, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(instantMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

// The instant (ms) of a local date and time ("2026-12-07", "18:00") in a zone.
export function zonedInstant(ymd, hhmm, timeZone) {
  const [y, m, d] = ymd.split('-').map(Number);
  const [H, M] = hhmm.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, d, H, M);
  const first = guess - zoneOffset(guess, timeZone);
  return guess - zoneOffset(first, timeZone);
}
