// How numbers, times and balances read, in the page's language.
import { locale, t } from "./i18n.js";

export function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value);
}

export function balance(value) {
  if (value === null || value === undefined) return null;
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 4, minimumFractionDigits: 2 }).format(value);
}

export function dateTime(seconds) {
  if (!seconds) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(seconds * 1000));
}

// To the second (a request log's rows).
export function preciseTime(seconds) {
  if (!seconds) return "—";
  return new Intl.DateTimeFormat(locale(), { dateStyle: "short", timeStyle: "medium" }).format(new Date(seconds * 1000));
}

const STEPS = [[60, "second"], [3600, "minute"], [86400, "hour"], [86400 * 30, "day"], [86400 * 365, "month"], [Infinity, "year"]];
const UNIT_S = { second: 1, minute: 60, hour: 3600, day: 86400, month: 86400 * 30, year: 86400 * 365 };

// "3 minutes ago", "in 2 hours"; the exact time goes in a title beside it.
export function relative(seconds, now = Date.now() / 1000) {
  if (!seconds) return t("common.never");
  const delta = seconds - now;
  const size = Math.abs(delta);
  if (size < 45) return delta < 0 ? t("common.just_now") : t("common.in_moments");
  const [, unit] = STEPS.find(([limit]) => size < limit);
  return new Intl.RelativeTimeFormat(locale(), { numeric: "auto" }).format(Math.round(delta / UNIT_S[unit]), unit);
}

// 75 -> "1 min 15 s" (short units, both languages).
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = s % 60;
  if (h) return t("time.h_m", { h, m });
  if (m) return t("time.m_s", { m, s: rest });
  return t("time.s", { s: rest });
}

// Unix seconds <-> the value of an <input type="datetime-local"> (the browser's time zone).
export function localInput(seconds) {
  if (!seconds) return "";
  const date = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// A duration in milliseconds, or a dash when there is none.
export function ms(value) {
  return value === null || value === undefined ? "—" : `${number(value)} ms`;
}

export function fromLocalInput(value) {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}
