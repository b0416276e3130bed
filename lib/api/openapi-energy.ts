/**
 * The energy and export part of the OpenAPI document (lib/api/openapi.ts merges it in): site
 * energy settings (time zone, tariffs), attribute classes, consumption, and the streamed exports.
 * Built by functions, not at load: it uses the main document's helpers, which import this module.
 */
import {
  SITE_NAME,
  answer,
  bodyFailures,
  deviceId,
  failure,
  filter,
  json,
  object,
  ref,
  responses,
  siteParam,
  timestamp,
  type JsonSchema,
  type OpenApiDocument,
  type Parameter,
} from './openapi-parts';

export const ENERGY_TAGS = [
  { name: 'energy', description: 'Consumption of counters (kWh, m³) per period in the site\'s time zone, tariffs, attribute classes.' },
  { name: 'export', description: 'History as CSV or NDJSON, streamed.' },
];

const nullable = <const S extends JsonSchema>(schema: S) => ({ anyOf: [schema, { type: 'null' }] as const });
const money = { type: 'number', minimum: 0, maximum: 1_000_000 } as const;
const hour = (description: string) => ({ type: 'string', pattern: '^(?:[01][0-9]|2[0-4]):00$', description }) as const;

export function energySchemas() {
  return {
    AttributeClassName: { enum: ['measurement', 'counter', 'state'], description: 'measurement: a value at an instant; counter: a total that grows and may reset; state: on/off, modes, text.' },
    Quantity: { enum: ['energy', 'volume'], description: 'What counters count: energy (in kWh) or volume (in m³).' },
    Period: { enum: ['hour', 'day', 'week', 'month', 'year'] },
    TariffWindow: object(
      {
        name: { type: 'string', minLength: 1, maxLength: 60 },
        from: hour('Local start, inclusive ("22:00").'),
        to: hour('Local end, exclusive ("08:00"; before `from` wraps midnight; equal to `from` is all day).'),
        price: { ...money, description: 'Price per unit in this window.' },
        days: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 7 }, minItems: 1, maxItems: 7, uniqueItems: true, description: 'ISO weekdays (1 = Monday); all days when absent.' },
      },
      ['from', 'to', 'price'],
    ),
    Tariff: object(
      {
        currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' },
        price: { ...money, description: 'Price per kWh or m³ outside every window.' },
        windows: { type: 'array', items: ref('TariffWindow'), maxItems: 24, description: 'Time-of-use windows; the first that covers an hour prices it.' },
      },
      ['currency', 'price'],
    ),
    Tariffs: object({ energy: ref('Tariff'), volume: ref('Tariff') }, [], { description: 'A tariff per quantity; none: consumption has no cost.' }),
    EnergySettings: object({
      site: SITE_NAME,
      timeZone: { type: 'string', description: 'IANA zone its days, weeks, months and years are counted in.' },
      tariffs: ref('Tariffs'),
      updatedAt: nullable(timestamp('Last change; null while never set (UTC, no tariff).')),
      updatedBy: { type: ['string', 'null'] },
    }),
    EnergySettingsUpdate: object({
      timeZone: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', description: 'IANA zone name (Europe/Madrid).' },
      tariffs: ref('Tariffs'),
    }),
    AttributeClass: object({
      deviceId: { type: 'string' },
      name: { type: 'string', description: 'The device\'s name, else its id in the topic.' },
      room: { type: 'string' },
      attribute: { type: 'string' },
      unit: { type: ['string', 'null'] },
      class: ref('AttributeClassName'),
      source: { enum: ['user', 'device', 'unit', 'name', 'value'], description: 'Who said so: a person, the device, or what its unit, name or value suggest.' },
      quantity: nullable(ref('Quantity')),
    }),
    AttributeClassList: object({ site: SITE_NAME, items: { type: 'array', items: ref('AttributeClass') } }),
    AttributeClassRequest: object({ class: nullable(ref('AttributeClassName')) }, ['class'], { description: 'null: forget the choice (back to what unit and name suggest).' }),
    ConsumptionBucket: object({
      start: timestamp('Start of the period (local midnight for days).'),
      end: timestamp('End of the period, exclusive.'),
      hours: { type: 'number', description: 'Real hours in it: 23 or 25 on a day with a DST change.' },
      total: { type: 'number', description: 'Consumption in the unit.' },
      cost: { type: ['number', 'null'], description: 'Priced by the tariff; null without one.' },
    }),
    Consumption: object({
      site: SITE_NAME,
      timeZone: { type: 'string' },
      period: ref('Period'),
      quantity: ref('Quantity'),
      unit: { type: 'string' },
      currency: { type: ['string', 'null'] },
      from: timestamp('Start, widened to a whole period.'),
      to: timestamp('End, widened to a whole period.'),
      total: { type: 'number' },
      cost: { type: ['number', 'null'] },
      buckets: { type: 'array', items: ref('ConsumptionBucket') },
      previous: nullable(object({ from: timestamp('Start of the span before.'), to: timestamp('Its end: this range\'s start.'), buckets: { type: 'array', items: ref('ConsumptionBucket') } })),
      devices: {
        type: 'array',
        description: 'Each counter\'s total, largest first (the top consumers).',
        items: object({ deviceId: { type: 'string' }, name: { type: 'string' }, room: { type: 'string' }, attribute: { type: 'string' }, total: { type: 'number' }, cost: { type: ['number', 'null'] } }),
      },
      rooms: { type: 'array', description: 'Each room\'s total, largest first.', items: object({ room: { type: 'string' }, total: { type: 'number' }, cost: { type: ['number', 'null'] } }) },
    }),
  } as const satisfies Record<string, JsonSchema>;
}

const range: Parameter[] = [
  { name: 'from', in: 'query', description: 'Start, ISO 8601 with offset.', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', in: 'query', description: 'End, ISO 8601 with offset (default: now).', schema: { type: 'string', format: 'date-time' } },
];

const exportParams: Parameter[] = [
  ...range.map((p) => ({ ...p, description: p.name === 'from' ? 'Start, ISO 8601 with offset (default: `to` − 24 h).' : p.description })),
  { name: 'attributes', in: 'query', description: 'Comma-separated attribute names (at most 50); all when absent.', schema: { type: 'string', minLength: 1, maxLength: 4000 } },
  { name: 'resolution', in: 'query', description: 'raw readings, or count/mean/min/max/first/last/delta per 5 minutes, hour or local day.', schema: { enum: ['raw', '5min', '1h', '1day'], default: 'raw' } },
  { name: 'format', in: 'query', description: 'csv (header, ISO times, decimal points, quoted text, UTF-8 with BOM) or ndjson.', schema: { enum: ['csv', 'ndjson'], default: 'csv' } },
  { name: 'zone', in: 'query', description: 'Times (and days) in the site\'s time zone or in UTC.', schema: { enum: ['site', 'utc'], default: 'site' } },
];

const streamed = {
  description: 'The rows, streamed as they are read; oldest first. A download name is in Content-Disposition.',
  headers: { 'Content-Disposition': { description: 'attachment; filename="octopus-…"', schema: { type: 'string' } } },
  content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
};

const exportFailures = () => ({
  '400': failure('Bad time range, attributes, resolution, format or zone.'),
  '503': failure('Too many exports running (try again shortly), or the registry or database is away.'),
});

export function energyPaths(): OpenApiDocument['paths'] {
  return {
    '/sites/{site}/energy/settings': {
      get: {
        operationId: 'getEnergySettings',
        summary: 'The site\'s time zone and tariffs',
        tags: ['energy'],
        parameters: [siteParam],
        responses: responses({ '200': answer('The settings (UTC and no tariff while never set).', 'EnergySettings'), '404': failure('Unknown site.') }),
      },
      put: {
        operationId: 'putEnergySettings',
        summary: 'Set the site\'s time zone and tariffs (owners)',
        tags: ['energy'],
        parameters: [siteParam],
        requestBody: { required: true, content: json(ref('EnergySettingsUpdate')) },
        responses: responses({ '200': answer('The settings as saved.', 'EnergySettings'), '400': failure('Unknown time zone or bad tariff.'), '404': failure('Unknown site.'), ...bodyFailures }),
      },
    },
    '/sites/{site}/energy/attributes': {
      get: {
        operationId: 'listAttributeClasses',
        summary: 'Every numeric attribute of the site with its class (measurement, counter, state) and where that came from',
        tags: ['energy'],
        parameters: [siteParam],
        responses: responses({ '200': answer('Attributes, by device and name.', 'AttributeClassList'), '404': failure('Unknown site.') }),
      },
    },
    '/devices/{id}/attributes/{attribute}/class': {
      put: {
        operationId: 'putAttributeClass',
        summary: 'Say what an attribute is: measurement, counter or state (owners)',
        tags: ['energy'],
        parameters: [deviceId, { name: 'attribute', in: 'path', required: true, description: 'Attribute name, URL-encoded.', schema: { type: 'string', minLength: 1, maxLength: 200 } }],
        requestBody: { required: true, content: json(ref('AttributeClassRequest')) },
        responses: responses({ '200': answer('The attribute with its class.', 'AttributeClass'), '400': failure('Bad body.'), '404': failure('Unknown device or attribute.'), ...bodyFailures }),
      },
    },
    '/sites/{site}/consumption': {
      get: {
        operationId: 'getConsumption',
        summary: 'Consumption of the site\'s counters per hour, day, week, month or year, with cost, top consumers and rooms',
        description:
          'Counters are attributes of class counter in kWh/Wh/MWh (energy) or m³/L (volume). Periods are local to the site\'s time zone; the range is widened to whole periods. ' +
          'Default range: the last 24 hours, 30 days, 12 weeks, 12 months or 5 years by period; at most 1000 periods. Filter by room or device for their own bars.',
        tags: ['energy'],
        parameters: [
          siteParam,
          ...range.map((p) => (p.name === 'from' ? { ...p, description: 'Start, ISO 8601 with offset (default by period).' } : p)),
          { name: 'period', in: 'query', description: 'Bucket size.', schema: { enum: ['hour', 'day', 'week', 'month', 'year'], default: 'day' } },
          { name: 'quantity', in: 'query', description: 'energy (kWh) or volume (m³).', schema: { enum: ['energy', 'volume'], default: 'energy' } },
          filter('room', 'Only counters in this room (as shown).'),
          filter('device', 'Only this device\'s counters (device id).'),
          { name: 'previous', in: 'query', description: 'Also the same calendar span just before (last month for a month…), bucket for bucket.', schema: { type: 'boolean', default: false } },
        ],
        responses: responses({ '200': answer('Consumption per period.', 'Consumption'), '400': failure('Bad range, too many periods, or bad filter.'), '404': failure('Unknown site.') }),
      },
    },
    '/sites/{site}/export': {
      get: {
        operationId: 'exportSite',
        summary: 'The site\'s history as CSV or NDJSON, streamed whatever its size',
        description: 'Raw readings or per-bucket statistics of every device of the site the caller sees. Ordered by time. At most 10 years a request; two exports at a time per server.',
        tags: ['export'],
        parameters: [siteParam, ...exportParams, filter('device', 'Only this device (device id).')],
        responses: responses({ '200': streamed, ...exportFailures(), '404': failure('Unknown site.') }),
      },
    },
    '/devices/{id}/export': {
      get: {
        operationId: 'exportDevice',
        summary: 'One device\'s history as CSV or NDJSON, streamed',
        tags: ['export'],
        parameters: [deviceId, ...exportParams],
        responses: responses({ '200': streamed, ...exportFailures(), '404': failure('Unknown device.') }),
      },
    },
  };
}
