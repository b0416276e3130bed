/**
 * A site's tariff: a price per unit (kWh, m³) and time-of-use windows with their own price, in
 * the site's local time. Windows start and end on whole hours (what hourly rollups can price;
 * time-of-use tariffs are set in hours), may wrap midnight (22:00–08:00) and may be limited to
 * days of the week (ISO: 1 = Monday … 7 = Sunday). The first window that matches prices the hour;
 * hours no window covers get the base price.
 */
import type { Quantity } from './attribute-class';

export interface TariffWindow {
  name?: string;
  /** "HH:00", local time, inclusive. */
  from: string;
  /** "HH:00" (or "24:00"), local time, exclusive; equal to `from` means all day. */
  to: string;
  price: number;
  days?: number[];
}

export interface Tariff {
  currency: string;
  /** Price per kWh (energy) or m³ (volume) outside every window. */
  price: number;
  windows?: TariffWindow[];
}

export type Tariffs = Partial<Record<Quantity, Tariff>>;

export const MAX_WINDOWS = 24;

function hourOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2));
}

function covers(w: TariffWindow, hour: number, isoDay: number): boolean {
  if (w.days && w.days.length > 0 && !w.days.includes(isoDay)) return false;
  const from = hourOf(w.from) % 24;
  const to = hourOf(w.to) % 24;
  if (from === to) return true;
  return from < to ? hour >= from && hour < to : hour >= from || hour < to;
}

/** The price of consumption in the local hour starting at `hour` (0–23) on ISO weekday `isoDay`. */
export function priceAt(t: Tariff, hour: number, isoDay: number): number {
  for (const w of t.windows ?? []) if (covers(w, hour, isoDay)) return w.price;
  return t.price;
}

/** Whether pricing needs the hour of day, and the day of the week, of each consumption. */
export function tariffNeeds(t: Tariff | undefined): { hour: boolean; day: boolean } {
  const windows = t?.windows ?? [];
  return { hour: windows.length > 0, day: windows.some((w) => (w.days?.length ?? 0) > 0) };
}

/** What a schema cannot say about a tariff: why it is wrong, or undefined. */
export function tariffProblem(t: Tariff): string | undefined {
  for (const [i, w] of (t.windows ?? []).entries()) {
    if (hourOf(w.from) > 23) return `window ${i + 1} starts at ${w.from}: a window starts at 00:00 to 23:00`;
    if (new Set(w.days ?? []).size !== (w.days ?? []).length) return `window ${i + 1} lists a day twice`;
  }
  return undefined;
}
