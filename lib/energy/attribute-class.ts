/**
 * What kind of quantity an attribute is, the way Home Assistant's `state_class` puts it:
 *
 *   measurement  a value at an instant (power in W, temperature): averaged, never summed
 *   counter      a total that only grows, and may restart from zero (energy in kWh, water in m³):
 *                consumption is its increase, a drop to near zero is a meter reset
 *   state        on/off, modes, text: shown, not added up
 *
 * A person's choice (/ui or the API) wins; then what the device announced; then the unit and
 * the attribute's name. Pure: the registry and the database hand in the facts.
 */
import type { ReadingValue } from '../model/reading';

export const ATTRIBUTE_CLASSES = ['measurement', 'counter', 'state'] as const;
export type AttributeClass = (typeof ATTRIBUTE_CLASSES)[number];
/** Where a class came from: a stored choice, or what the unit, name or value suggest. */
export type ClassSource = 'user' | 'device' | 'unit' | 'name' | 'value';

export const QUANTITIES = ['energy', 'volume'] as const;
export type Quantity = (typeof QUANTITIES)[number];

/** Units counters come in, with the factor to the quantity's unit (kWh, m³). */
const COUNTER_UNITS: Record<string, { quantity: Quantity; factor: number }> = {
  wh: { quantity: 'energy', factor: 0.001 },
  kwh: { quantity: 'energy', factor: 1 },
  mwh: { quantity: 'energy', factor: 1000 },
  'm³': { quantity: 'volume', factor: 1 },
  m3: { quantity: 'volume', factor: 1 },
  l: { quantity: 'volume', factor: 0.001 },
  'ft³': { quantity: 'volume', factor: 0.0283168 },
  ft3: { quantity: 'volume', factor: 0.0283168 },
};

/** Units of volume are also those of flows' totals only when the name says total; litres alone may be a tank level. */
const AMBIGUOUS_UNITS = new Set(['l']);

export const QUANTITY_UNIT: Record<Quantity, string> = { energy: 'kWh', volume: 'm³' };

/**
 * Names firmwares give their running totals: Tasmota `ENERGY.Total`, Shelly `total`/`aenergy.total`,
 * Zigbee2MQTT `energy`, meters `total_energy`, `energy_total`, `consumption`, `*_total`.
 */
const COUNTER_NAME = /(^|[._/-])(energy|total|total_?energy|energy_?total|consumption|total_?consumption|meter_?reading|total_?increasing)$|_total$/i;

/** The quantity a counter in this unit measures, and the factor to its standard unit; undefined for other units. */
export function counterUnit(unit: string | null | undefined): { quantity: Quantity; factor: number } | undefined {
  if (!unit) return undefined;
  return COUNTER_UNITS[unit.trim().toLowerCase()];
}

export interface ClassFacts {
  attribute: string;
  unit?: string | null;
  /** The latest value, for its type. */
  value?: ReadingValue;
  /** A stored class (attribute_classes), when someone or the device said so. */
  stored?: { class: AttributeClass; source: 'user' | 'device' };
}

export interface Classified {
  class: AttributeClass;
  source: ClassSource;
  /** For counters in a known unit: what they count, and the factor to kWh or m³. */
  quantity: Quantity | null;
  factor: number | null;
}

export function classify(f: ClassFacts): Classified {
  const unit = counterUnit(f.unit);
  const withUnit = (cls: AttributeClass, source: ClassSource): Classified => ({
    class: cls,
    source,
    quantity: cls === 'counter' && unit ? unit.quantity : null,
    factor: cls === 'counter' && unit ? unit.factor : null,
  });
  if (f.stored) return withUnit(f.stored.class, f.stored.source);
  if (typeof f.value === 'string' || typeof f.value === 'boolean') return withUnit('state', 'value');
  const named = COUNTER_NAME.test(f.attribute);
  if (unit && (!AMBIGUOUS_UNITS.has(f.unit!.trim().toLowerCase()) || named)) return withUnit('counter', 'unit');
  if (named && unit) return withUnit('counter', 'name');
  // A name alone (`total` without a unit) is too weak: counting the wrong thing as consumption is worse than missing it.
  return withUnit('measurement', f.unit ? 'unit' : 'value');
}
