import type { ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import { can, type Action } from '../auth/permissions';
import { classify, QUANTITY_UNIT, type Quantity } from '../energy/attribute-class';
import { alignRange, queryConsumption, seriesKey, TooManyBuckets, type CounterSeries, type Period } from '../energy/consumption';
import { classKey, isKnownTimeZone, loadClasses, loadSiteSettings, saveClass, saveDeviceClasses, saveSiteSettings, type SiteSettings } from '../energy/energy-store';
import { tariffProblem } from '../energy/tariff';
import { CONTENT_TYPES, type ExportFormat } from '../export/export-format';
import type { ExportQuery, Resolution } from '../export/export-query';
import { streamExport, takeExportSlot } from '../export/export-stream';
import type { DeviceRecord } from '../registry/device-registry';
import { HttpError, readJsonBody } from './http';
import type { Context, Handler } from './route-kit';
import type { HttpMethod } from './openapi';
import type { Validators } from './validate';
import { compare, displayName, displayRoom } from './views';

/** What the energy and export routes borrow from the REST API (lib/api/routes.ts). */
export interface EnergyKit {
  route(method: HttpMethod, path: string, handler: Handler): void;
  device(ctx: Context, action?: Action, id?: string): DeviceRecord;
  sees(ctx: Context, site: string): boolean;
  validators: Validators;
  database(ctx: Context): Promise<Pool>;
  fromDatabase<T>(work: Promise<T>): Promise<T>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MAX_RANGE_MS = 3653 * DAY_MS;
const MAX_BUCKETS = 1000;
const MAX_ATTRIBUTES = 50;
const DEFAULT_SPAN_MS: Record<Period, number> = { hour: DAY_MS, day: 30 * DAY_MS, week: 84 * DAY_MS, month: 365 * DAY_MS, year: 5 * 365 * DAY_MS };

export function registerEnergyRoutes(kit: EnergyKit): void {
  const { route, device, sees, validators, database, fromDatabase } = kit;

  /** The site's devices the caller sees; a site they cannot see is answered like an unknown one. */
  const siteDevices = (ctx: Context, site: string): DeviceRecord[] => {
    const devices = sees(ctx, site) ? [...ctx.service.registry.all()].filter((d) => d.site === site) : [];
    if (devices.length === 0) throw new HttpError(404, `unknown site "${site}"`);
    return devices;
  };

  const range = (ctx: Context, defaultSpanMs: number) => {
    const to = typeof ctx.query.to === 'string' ? Date.parse(ctx.query.to) : ctx.service.now();
    const from = typeof ctx.query.from === 'string' ? Date.parse(ctx.query.from) : to - defaultSpanMs;
    if (!(from < to)) throw new HttpError(400, 'bad time range: from must be before to');
    if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'bad time range: at most 10 years at a time');
    return { from, to };
  };

  /** Each attribute of these devices with its class: a stored choice, else what its unit, name and value say. */
  const classified = async (ctx: Context, devices: DeviceRecord[]) => {
    const stored = await fromDatabase(database(ctx).then((pool) => loadClasses(pool, devices.map((d) => d.deviceId))));
    const items = [];
    for (const d of devices) {
      for (const [attribute, state] of d.attributes) {
        const c = classify({ attribute, unit: state.unit, value: state.value, stored: stored.get(classKey(d.deviceId, attribute)) });
        items.push({ deviceId: d.deviceId, name: displayName(d), room: displayRoom(d), attribute, unit: state.unit ?? null, ...c });
      }
    }
    return items.sort((a, b) => compare(a.deviceId, b.deviceId) || compare(a.attribute, b.attribute));
  };
  const classView = (c: Awaited<ReturnType<typeof classified>>[number]) => ({
    deviceId: c.deviceId, name: c.name, room: c.room, attribute: c.attribute, unit: c.unit, class: c.class, source: c.source, quantity: c.quantity,
  });

  const settingsView = (s: SiteSettings) => ({
    site: s.site,
    timeZone: s.timeZone,
    tariffs: s.tariffs,
    updatedAt: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
    updatedBy: s.updatedBy,
  });

  route('get', '/sites/{site}/energy/settings', async (ctx) => {
    const site = String(ctx.path.site);
    siteDevices(ctx, site);
    const pool = await database(ctx);
    return { status: 200, body: settingsView(await fromDatabase(loadSiteSettings(pool, site))) };
  });

  route('put', '/sites/{site}/energy/settings', async (ctx) => {
    const site = String(ctx.path.site);
    siteDevices(ctx, site);
    if (!can(ctx.principal, 'manage', site)) throw new HttpError(403, `your role at site "${site}" does not allow this`);
    const body = validators.body('EnergySettingsUpdate', await readJsonBody(ctx.req));
    const pool = await database(ctx);
    if (!(await fromDatabase(isKnownTimeZone(pool, body.timeZone)))) throw new HttpError(400, `unknown time zone "${body.timeZone}": use an IANA name such as Europe/Madrid`);
    for (const [quantity, tariff] of Object.entries(body.tariffs)) {
      const problem = tariff && tariffProblem(tariff);
      if (problem) throw new HttpError(400, `bad ${quantity} tariff: ${problem}`);
    }
    const saved = await fromDatabase(saveSiteSettings(pool, site, body.timeZone, body.tariffs, ctx.principal.username));
    return { status: 200, body: settingsView(saved) };
  });

  route('get', '/sites/{site}/energy/attributes', async (ctx) => {
    const site = String(ctx.path.site);
    const items = await classified(ctx, siteDevices(ctx, site));
    return { status: 200, body: { site, items: items.map(classView) } };
  });

  route('put', '/devices/{id}/attributes/{attribute}/class', async (ctx) => {
    const d = device(ctx, 'manage');
    const attribute = String(ctx.path.attribute);
    if (!d.attributes.has(attribute)) throw new HttpError(404, `device "${d.deviceId}" has no attribute "${attribute}"`);
    const body = validators.body('AttributeClassRequest', await readJsonBody(ctx.req));
    const pool = await database(ctx);
    await fromDatabase(saveClass(pool, d.deviceId, attribute, body.class, ctx.principal.username));
    // One row per attribute: forgetting a person's class brings back what the device announced, if it did.
    const announced = body.class === null ? ctx.service.announcedClasses.announced(d.deviceId, attribute) : undefined;
    if (announced) await fromDatabase(saveDeviceClasses(pool, [announced]));
    const item = (await classified(ctx, [d])).find((c) => c.attribute === attribute)!;
    return { status: 200, body: classView(item) };
  });

  route('get', '/sites/{site}/consumption', async (ctx) => {
    const site = String(ctx.path.site);
    const period = ctx.query.period as Period;
    const quantity = ctx.query.quantity as Quantity;
    const room = ctx.query.room as string | undefined;
    const only = ctx.query.device as string | undefined;
    const devices = siteDevices(ctx, site).filter((d) => (room === undefined || displayRoom(d) === room) && (only === undefined || d.deviceId === only));
    const { from, to } = range(ctx, DEFAULT_SPAN_MS[period]);
    const counters = (await classified(ctx, devices)).filter((c) => c.class === 'counter' && c.quantity === quantity);
    const pool = await database(ctx);
    const settings = await fromDatabase(loadSiteSettings(pool, site));
    const tariff = settings.tariffs[quantity];
    const series: CounterSeries[] = counters.map((c) => ({ deviceId: c.deviceId, attribute: c.attribute, factor: c.factor ?? 1 }));
    const result = await fromDatabase(
      queryConsumption(pool, { timeZone: settings.timeZone, period, from, to, series, tariff, previous: ctx.query.previous === true, now: ctx.service.now(), maxBuckets: MAX_BUCKETS }).catch(
        (err: unknown) => {
          if (err instanceof TooManyBuckets) throw new HttpError(400, `bad time range: ${err.message}`);
          throw err;
        },
      ),
    );
    const about = new Map(counters.map((c) => [seriesKey(c.deviceId, c.attribute), c]));
    const byDevice = result.series
      .map((s) => {
        const c = about.get(seriesKey(s.deviceId, s.attribute))!;
        return { deviceId: s.deviceId, name: c.name, room: c.room, attribute: s.attribute, total: s.total, cost: s.cost };
      })
      .sort((a, b) => b.total - a.total || compare(a.deviceId, b.deviceId));
    const rooms = new Map<string, { room: string; total: number; cost: number | null }>();
    for (const d of byDevice) {
      const r = rooms.get(d.room) ?? { room: d.room, total: 0, cost: tariff ? 0 : null };
      r.total += d.total;
      if (r.cost !== null) r.cost += d.cost ?? 0;
      rooms.set(d.room, r);
    }
    return {
      status: 200,
      body: {
        site,
        timeZone: settings.timeZone,
        period,
        quantity,
        unit: QUANTITY_UNIT[quantity],
        currency: tariff?.currency ?? null,
        from: result.from,
        to: result.to,
        total: result.total,
        cost: result.cost,
        buckets: result.buckets,
        previous: result.previous,
        devices: byDevice,
        rooms: [...rooms.values()].sort((a, b) => b.total - a.total || compare(a.room, b.room)),
      },
    };
  });

  const exportReply = async (ctx: Context, site: string, deviceId?: string) => {
    const { from, to } = range(ctx, DAY_MS);
    const resolution = ctx.query.resolution as Resolution;
    const format = ctx.query.format as ExportFormat;
    const attributes = typeof ctx.query.attributes === 'string' ? [...new Set(ctx.query.attributes.split(',').map((a) => a.trim()).filter((a) => a !== ''))] : undefined;
    // Control characters (NUL above all, which Postgres refuses in text) name no attribute.
    // eslint-disable-next-line no-control-regex
    if (attributes && (attributes.length > MAX_ATTRIBUTES || attributes.some((a) => a.length > 200 || /[\u0000-\u001f\u007f]/.test(a)))) {
      throw new HttpError(400, `bad attributes: at most ${MAX_ATTRIBUTES} names of at most 200 characters, without control characters`);
    }
    const pool = await database(ctx);
    const settings = await fromDatabase(loadSiteSettings(pool, site));
    const timeZone = ctx.query.zone === 'utc' ? 'UTC' : settings.timeZone;
    const q: ExportQuery = { site, deviceId, attributes, from, to, resolution, timeZone, now: ctx.service.now() };
    if (resolution === '1day') Object.assign(q, await fromDatabase(alignRange(pool, { timeZone, period: 'day', from, to })));
    else if (resolution !== 'raw') {
      const step = resolution === '5min' ? 300_000 : HOUR_MS;
      q.from = Math.floor(from / step) * step;
      q.to = Math.ceil(to / step) * step;
    }
    const release = takeExportSlot();
    if (!release) throw new HttpError(503, 'too many exports are running: try again in a minute');
    const name = `octopus-${safeName(deviceId ?? site)}-${new Date(q.from).toISOString().slice(0, 10)}-${new Date(q.to).toISOString().slice(0, 10)}-${resolution}.${format === 'csv' ? 'csv' : 'ndjson'}`;
    return {
      status: 200,
      stream: async (res: ServerResponse) => {
        res.statusCode = 200;
        res.setHeader('Content-Type', CONTENT_TYPES[format]);
        res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
        res.setHeader('Cache-Control', 'no-store');
        try {
          const outcome = await fromDatabase(streamExport(pool, q, format, res));
          // An export cut short (the reader left or stalled) must not end like a complete one.
          if (outcome.aborted) res.destroy();
          else res.end();
        } catch (err) {
          // Once rows went out the status cannot change: cut the connection, so the download shows as failed, not as complete.
          if (res.headersSent) res.destroy();
          else res.removeHeader('Content-Disposition');
          throw err;
        } finally {
          release();
        }
      },
    };
  };

  route('get', '/sites/{site}/export', (ctx) => {
    const site = String(ctx.path.site);
    const devices = siteDevices(ctx, site);
    const only = ctx.query.device as string | undefined;
    if (only !== undefined && !devices.some((d) => d.deviceId === only)) throw new HttpError(404, `unknown device "${only}"`);
    return exportReply(ctx, site, only);
  });

  route('get', '/devices/{id}/export', (ctx) => {
    const d = device(ctx);
    return exportReply(ctx, d.site, d.deviceId);
  });
}

/** A download name's part: letters, digits, dot, dash and underscore only. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}
