import { can, type Action } from '../auth/permissions';
import { deleteAutomation, deleteScene, deleteSchedule, saveAutomationInput, saveSceneInput, saveScheduleInput, type Saved } from '../automation/automation-definitions';
import type { AutomationService } from '../automation/automation-service';
import { saveSiteLocation } from '../automation/automation-store';
import type { Automation, LogbookKind, Scene, Schedule } from '../automation/automation-types';
import { DEFAULT_RETENTION_DAYS, queryLogbook, saveRetention } from '../automation/logbook';
import { nextOccurrence } from '../automation/schedule-plan';
import { isKnownTimeZone } from '../energy/energy-store';
import { HttpError, readJsonBody } from './http';
import type { HttpMethod } from './openapi';
import type { Context, Handler } from './route-kit';
import type { Validators } from './validate';

/** What the automation routes borrow from the REST API (lib/api/routes.ts). */
export interface AutomationKit {
  route(method: HttpMethod, path: string, handler: Handler): void;
  validators: Validators;
  automation(): AutomationService | undefined;
  fromDatabase<T>(work: Promise<T>): Promise<T>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerAutomationRoutes(kit: AutomationKit): void {
  const { route, validators, fromDatabase } = kit;

  const service = (): AutomationService => {
    const s = kit.automation();
    if (!s) throw new HttpError(503, 'the automation service is not running (it starts with the device registry)');
    return s;
  };

  /** The site if the caller may `action` it: one they cannot see is unknown (404), one they see but may not change is 403. */
  const site = (ctx: Context, action: Action, name = String(ctx.path.site)): string => {
    if (!can(ctx.principal, 'see', name)) throw new HttpError(404, `unknown site "${name}"`);
    if (!can(ctx.principal, action, name)) throw new HttpError(403, `your role at site "${name}" does not allow this`);
    return name;
  };

  /** An item by id, answered like an unknown one when it belongs to a site the caller cannot see. */
  const owned = <T extends { site: string }>(ctx: Context, item: T | undefined, what: string, action: Action): T => {
    const id = String(Object.values(ctx.path)[0]);
    if (!item || !can(ctx.principal, 'see', item.site)) throw new HttpError(404, `unknown ${what} "${id}"`);
    site(ctx, action, item.site);
    return item;
  };

  const saved = <T>(result: Saved<T>, status: number, view: (t: T) => unknown) => {
    if (!result.ok) throw new HttpError(result.status, result.error);
    return { status, body: view(result.item) };
  };

  const sceneView = (s: Scene) => {
    const last = service().lastApply.get(s.id);
    return {
      id: s.id,
      site: s.site,
      name: s.name,
      targets: s.targets,
      previous: s.previous,
      appliedAt: iso(s.appliedAt),
      lastApply: last ? { startedAt: iso(last.startedAt), done: last.done, results: last.results } : null,
      updatedAt: iso(s.updatedAt),
      updatedBy: s.updatedBy,
    };
  };
  const scheduleView = (s: Schedule) => {
    const svc = service();
    const clock = svc.clockOf(s.site);
    const next = s.enabled ? nextOccurrence(s.slots, clock, Math.max(s.lastSlot ?? 0, svc.now())) : undefined;
    return {
      id: s.id,
      site: s.site,
      name: s.name,
      enabled: s.enabled,
      action: s.action,
      slots: s.slots,
      timeZone: clock.timeZone,
      lastSlot: iso(s.lastSlot),
      nextRun: next ? iso(next.at) : null,
      updatedAt: iso(s.updatedAt),
      updatedBy: s.updatedBy,
    };
  };
  const automationView = (a: Automation) => ({
    id: a.id,
    site: a.site,
    name: a.name,
    enabled: a.enabled,
    trigger: a.trigger,
    conditions: a.conditions,
    actions: a.actions,
    maxRunsPerHour: a.maxRunsPerHour,
    updatedAt: iso(a.updatedAt),
    updatedBy: a.updatedBy,
  });
  const bySite = <T extends { site: string; name: string }>(items: Iterable<T>, s: string) => [...items].filter((x) => x.site === s).sort((a, b) => a.name.localeCompare(b.name));
  const by = (ctx: Context) => `api:${ctx.principal.username}`;

  // Scenes
  route('get', '/sites/{site}/scenes', (ctx) => {
    const s = site(ctx, 'see');
    return { status: 200, body: { site: s, items: bySite(service().scenes.values(), s).map(sceneView) } };
  });
  route('post', '/sites/{site}/scenes', async (ctx) => {
    const s = site(ctx, 'manage');
    const body = validators.body('SceneInput', await readJsonBody(ctx.req));
    return saved(await fromDatabase(saveSceneInput(service(), s, body, by(ctx))), 201, sceneView);
  });
  const scene = (ctx: Context, action: Action) => owned(ctx, service().scenes.get(String(ctx.path.sceneId)), 'scene', action);
  route('get', '/scenes/{sceneId}', (ctx) => ({ status: 200, body: sceneView(scene(ctx, 'see')) }));
  route('put', '/scenes/{sceneId}', async (ctx) => {
    const existing = scene(ctx, 'manage');
    const body = validators.body('SceneInput', await readJsonBody(ctx.req));
    return saved(await fromDatabase(saveSceneInput(service(), existing.site, body, by(ctx), existing)), 200, sceneView);
  });
  route('delete', '/scenes/{sceneId}', async (ctx) => {
    const result = await fromDatabase(deleteScene(service(), scene(ctx, 'manage')));
    if (!result.ok) throw new HttpError(result.status, result.error);
    return { status: 204 };
  });
  for (const verb of ['apply', 'restore'] as const) {
    route('post', `/scenes/{sceneId}/${verb}`, (ctx) => {
      const s = scene(ctx, 'control');
      if (verb === 'restore' && !s.previous?.length) throw new HttpError(409, `scene '${s.name}' has nothing to restore: it was never applied`);
      const svc = service();
      const done = svc.applyScene(s.id, [{ kind: 'user', name: ctx.principal.username }], by(ctx), verb === 'restore');
      done.catch((err: Error) => (svc.lastError = err.message));
      return { status: 202, body: sceneView(s) };
    });
  }

  // Schedules
  route('get', '/sites/{site}/schedules', (ctx) => {
    const s = site(ctx, 'see');
    return { status: 200, body: { site: s, items: bySite([...service().schedules.values()].map((x) => x.schedule), s).map(scheduleView) } };
  });
  route('post', '/sites/{site}/schedules', async (ctx) => {
    const s = site(ctx, 'manage');
    const body = validators.body('ScheduleInput', await readJsonBody(ctx.req));
    return saved(await fromDatabase(saveScheduleInput(service(), s, body, by(ctx))), 201, scheduleView);
  });
  const schedule = (ctx: Context, action: Action) => owned(ctx, service().schedules.get(String(ctx.path.scheduleId))?.schedule, 'schedule', action);
  route('get', '/schedules/{scheduleId}', (ctx) => ({ status: 200, body: scheduleView(schedule(ctx, 'see')) }));
  route('put', '/schedules/{scheduleId}', async (ctx) => {
    const existing = schedule(ctx, 'manage');
    const body = validators.body('ScheduleInput', await readJsonBody(ctx.req));
    return saved(await fromDatabase(saveScheduleInput(service(), existing.site, body, by(ctx), existing)), 200, scheduleView);
  });
  route('delete', '/schedules/{scheduleId}', async (ctx) => {
    await fromDatabase(deleteSchedule(service(), schedule(ctx, 'manage')));
    return { status: 204 };
  });

  // Automations
  route('get', '/sites/{site}/automations', (ctx) => {
    const s = site(ctx, 'see');
    return { status: 200, body: { site: s, items: bySite(service().engine.all(), s).map(automationView) } };
  });
  route('post', '/sites/{site}/automations', async (ctx) => {
    const s = site(ctx, 'manage');
    const body = validators.body('AutomationInput', await readJsonBody(ctx.req));
    return saved(await fromDatabase(saveAutomationInput(service(), s, body, by(ctx))), 201, automationView);
  });
  const automation = (ctx: Context, action: Action) => owned(ctx, service().engine.get(String(ctx.path.automationId)), 'automation', action);
  route('get', '/automations/{automationId}', (ctx) => ({ status: 200, body: automationView(automation(ctx, 'see')) }));
  route('put', '/automations/{automationId}', async (ctx) => {
    const existing = automation(ctx, 'manage');
    const body = validators.body('AutomationInput', await readJsonBody(ctx.req));
    return saved(await fromDatabase(saveAutomationInput(service(), existing.site, body, by(ctx), existing)), 200, automationView);
  });
  route('delete', '/automations/{automationId}', async (ctx) => {
    await fromDatabase(deleteAutomation(service(), automation(ctx, 'manage')));
    return { status: 204 };
  });
  route('get', '/automations/{automationId}/runs', async (ctx) => {
    const a = automation(ctx, 'see');
    const runs = await fromDatabase(service().automationRuns(a.id, ctx.query.limit as number));
    return { status: 200, body: { automationId: a.id, items: runs.map((x) => ({ at: iso(x.at), outcome: x.outcome, detail: x.detail, cause: x.cause })) } };
  });

  // Logbook and location
  route('get', '/sites/{site}/logbook', async (ctx) => {
    const s = site(ctx, 'see');
    const svc = service();
    await svc.flush();
    const q = ctx.query as Record<string, string | number | undefined>;
    const { items, total } = await fromDatabase(
      svc.database().then((pool) =>
        queryLogbook(pool, {
          site: s,
          kinds: typeof q.kind === 'string' ? (q.kind.split(',') as LogbookKind[]) : undefined,
          deviceId: typeof q.device === 'string' ? q.device : undefined,
          from: typeof q.from === 'string' ? Date.parse(q.from) : undefined,
          to: typeof q.to === 'string' ? Date.parse(q.to) : undefined,
          limit: q.limit as number,
          offset: q.offset as number,
        }),
      ),
    );
    return { status: 200, body: { site: s, items: items.map((e) => ({ at: iso(e.at), kind: e.kind, deviceId: e.deviceId, message: e.message, cause: e.cause, causeText: e.causeText })), total, limit: q.limit, offset: q.offset } };
  });
  const locationView = async (s: string) => {
    const svc = service();
    const pool = await fromDatabase(svc.database());
    const days = await fromDatabase(pool.query('select logbook_days from site_settings where site = $1', [s]));
    const c = svc.clockOf(s);
    return { site: s, name: c.name, timeZone: c.timeZone, latitude: c.latitude, longitude: c.longitude, logbookDays: days.rows[0]?.logbook_days ?? DEFAULT_RETENTION_DAYS };
  };
  route('get', '/sites/{site}/location', async (ctx) => ({ status: 200, body: await locationView(site(ctx, 'see')) }));
  route('put', '/sites/{site}/location', async (ctx) => {
    const s = site(ctx, 'manage');
    const body = validators.body('SiteLocationInput', await readJsonBody(ctx.req));
    if ((body.latitude === null) !== (body.longitude === null)) throw new HttpError(400, 'give both latitude and longitude, or neither');
    const svc = service();
    const pool = await fromDatabase(svc.database());
    if (body.timeZone !== undefined && !(await fromDatabase(isKnownTimeZone(pool, body.timeZone)))) throw new HttpError(400, `unknown time zone "${body.timeZone}": use an IANA name such as Europe/Madrid`);
    const loc = await fromDatabase(saveSiteLocation(pool, s, { name: body.name ?? null, latitude: body.latitude, longitude: body.longitude, timeZone: body.timeZone }, ctx.principal.username));
    if (body.logbookDays !== undefined) await fromDatabase(saveRetention(pool, s, body.logbookDays));
    svc.setClock(loc);
    return { status: 200, body: await locationView(s) };
  });
}
