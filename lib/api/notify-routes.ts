import type { ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import type { AlertService } from '../alerts/alert-service';
import { loadAlert } from '../alerts/alert-store';
import { parseQuietHours } from '../alerts/quiet-hours';
import { can, type Principal } from '../auth/permissions';
import { checkAckLink, currentGrants, useAckLink } from '../notify/ack-links';
import type { UnreadBus } from '../notify/notify-bus';
import { createChannel, deleteChannel, failedNotifications, inbox, listChannels, listPreferences, loadEscalation, markRead, saveEscalation, savePreferences } from '../notify/notify-store';
import type { Channel, ChannelConfig } from '../notify/notify-types';
import type { SecretBox } from '../notify/secret-box';
import { HttpError, readJsonBody, type ApiRequest } from './http';
import type { HttpMethod } from './openapi';
import type { Context, Handler, Reply } from './route-kit';
import type { Validators } from './validate';

/**
 * The notifications part of the REST API (documented in lib/api/openapi-notify.ts). Channels,
 * preferences and the notification centre are the caller's own; a site's escalation chain is
 * seen by whoever sees the site and set by its owners and operators. The acknowledge link routes
 * are open: the signed, single-use link is the credential (lib/notify/ack-links.ts).
 */
export interface NotifyKit {
  route(method: HttpMethod, path: string, handler: Handler): void;
  serve(method: HttpMethod, path: string, answer: (req: ApiRequest) => Reply | Promise<Reply>): void;
  parameters(path: string, method: HttpMethod, req: ApiRequest): { path: Record<string, unknown>; query: Record<string, unknown> };
  validators: Validators;
  database(ctx: Context): Promise<Pool>;
  /** The database without a signed-in caller (the acknowledge links): 503 while none is deployed. */
  openDatabase(): Promise<Pool>;
  fromDatabase<T>(work: Promise<T>): Promise<T>;
  /** The alert service an acknowledge link acts on (undefined while none is deployed). */
  alerts(): AlertService | undefined;
  /** Where a changed unread count is told to the dashboards. */
  unread?: UnreadBus;
  /** Seals channel secrets and signs acknowledge links. */
  secrets: () => SecretBox;
}

const FORM_LIMIT = 4096;

/** A channel as the document shows it (NotifyChannel): always the caller's own, so without its owner's id. */
const channelView = ({ userId: _userId, ...c }: Channel) => c;

export function registerNotifyRoutes(kit: NotifyKit): void {
  const { route, serve, parameters, validators, database, openDatabase, fromDatabase, alerts } = kit;
  const db = (ctx: Context) => fromDatabase(database(ctx));
  const me = (ctx: Context): Principal => ctx.principal;
  const visibleSite = (ctx: Context) => {
    const site = String(ctx.path.site);
    // A name with a NUL character is no site's (and Postgres text cannot hold one to ask).
    if (site.includes('\u0000') || !can(me(ctx), 'see', site)) throw new HttpError(404, `unknown site "${site.split('\u0000').join('\\0')}"`);
    return site;
  };

  route('get', '/notify/channels', async (ctx) => ({ status: 200, body: { items: (await fromDatabase(listChannels(await db(ctx), me(ctx).userId))).map(channelView) } }));

  route('post', '/notify/channels', async (ctx) => {
    const b = noNul(validators.body('NotifyChannelCreate', await readJsonBody(ctx.req)));
    const needs: Record<string, [keyof ChannelConfig, string][]> = {
      email: [['to', 'an address (config.to)']],
      webhook: [['url', 'a URL (config.url)']],
      telegram: [['chatId', 'a chat id (config.chatId)']],
    };
    for (const [field, what] of needs[b.kind]) if (!b.config[field]) throw new HttpError(400, `a ${b.kind} channel needs ${what}`);
    if (b.kind === 'telegram' && !b.secret) throw new HttpError(400, 'a telegram channel needs the bot token (secret)');
    if (b.kind === 'email' && b.secret && !/^smtps?:\/\//.test(b.secret)) throw new HttpError(400, 'an e-mail channel\'s secret is an SMTP URL: smtp://user:password@host:587 or smtps://…');
    const made = await fromDatabase(createChannel(await db(ctx), kit.secrets(), me(ctx).userId, b));
    if (made === 'too-many') throw new HttpError(409, 'you have 20 channels already: remove one first');
    return { status: 201, body: channelView(made) };
  });

  route('delete', '/notify/channels/{channelId}', async (ctx) => {
    const id = Number(ctx.path.channelId);
    if (!(await fromDatabase(deleteChannel(await db(ctx), me(ctx).userId, id)))) throw new HttpError(404, `you have no channel ${id}`);
    return { status: 204 };
  });

  route('get', '/notify/preferences', async (ctx) => ({ status: 200, body: { items: await fromDatabase(listPreferences(await db(ctx), me(ctx).userId)) } }));

  route('put', '/notify/preferences/{site}', async (ctx) => {
    const site = visibleSite(ctx);
    const b = validators.body('NotifyPreferencesUpdate', await readJsonBody(ctx.req));
    const quiet = parseQuietHours(b.quietHours ?? undefined);
    if (!quiet.ok) throw new HttpError(400, quiet.error);
    const pool = await db(ctx);
    const saved = await fromDatabase(
      savePreferences(pool, me(ctx).userId, { site, minSeverity: b.minSeverity, channelIds: b.channelIds, inapp: b.inapp ?? true, quiet: quiet.value, criticalBreaksThrough: b.criticalBreaksThrough ?? true }),
    );
    if (!saved) throw new HttpError(400, 'channelIds must name channels of your own');
    const all = await fromDatabase(listPreferences(pool, me(ctx).userId));
    return { status: 200, body: all.find((p) => p.site === site) };
  });

  route('get', '/notify/escalation/{site}', async (ctx) => {
    const site = visibleSite(ctx);
    return { status: 200, body: { site, steps: (await fromDatabase(loadEscalation(await db(ctx), site))).map(({ step: _step, ...s }) => s) } };
  });

  route('put', '/notify/escalation/{site}', async (ctx) => {
    const site = visibleSite(ctx);
    if (!can(me(ctx), 'manage', site)) throw new HttpError(403, `only owners of site "${site}" and operators set its escalation chain`);
    const { steps } = validators.body('NotifyEscalationUpdate', await readJsonBody(ctx.req));
    const pool = await db(ctx);
    for (const [i, s] of steps.entries()) {
      if ((s.userId === undefined) === (s.role === undefined)) throw new HttpError(400, `step ${i + 1} must name either a userId or a role`);
      if (s.userId !== undefined) {
        const g = await fromDatabase(currentGrants(pool, s.userId));
        // An unknown person and one of another house are answered alike.
        if (!g || !can(g, 'see', site)) throw new HttpError(400, `step ${i + 1}: user ${s.userId} has no role at site "${site}"`);
      }
    }
    await fromDatabase(saveEscalation(pool, site, steps));
    return { status: 200, body: { site, steps: (await fromDatabase(loadEscalation(pool, site))).map(({ step: _step, ...s }) => s) } };
  });

  route('get', '/notify/inbox', async (ctx) => ({ status: 200, body: await fromDatabase(inbox(await db(ctx), me(ctx).userId)) }));

  route('post', '/notify/inbox/read', async (ctx) => {
    const { ids } = validators.body('NotifyRead', await readJsonBody(ctx.req));
    const unread = await fromDatabase(markRead(await db(ctx), me(ctx).userId, ids === 'all' ? undefined : ids));
    kit.unread?.announce(me(ctx).userId, { unread });
    return { status: 200, body: { unread } };
  });

  route('get', '/notify/failed', async (ctx) => {
    const p = me(ctx);
    const sites = p.operator ? undefined : [...p.sites.keys()].filter((s) => can(p, 'manage', s));
    return { status: 200, body: await fromDatabase(failedNotifications(await db(ctx), sites)) };
  });

  // ---- acknowledge links: open, the token is the credential ----

  const token = (req: ApiRequest, method: HttpMethod) => String(parameters('/notify/ack/{token}', method, req).path.token);

  serve('get', '/notify/ack/{token}', async (req) => {
    const t = token(req, 'get');
    const pool = await fromDatabase(openDatabase());
    const checked = await fromDatabase(checkAckLink(pool, kit.secrets().signingKey, t, Date.now()));
    if (!checked.ok) throw new HttpError(403, checked.error);
    const alert = await fromDatabase(loadAlert(pool, checked.link.alertId));
    const what = alert ? `${alert.severity}: ${alert.message} (${alert.site} / ${alert.room} / ${alert.device}) — ${alert.state}` : checked.link.alertId;
    return page(
      'Acknowledge alert',
      `<p>${esc(what)}</p><p>For <b>${esc(checked.link.username)}</b>. This link works once.</p>
<form method="post"><label>Note (optional)<br><textarea name="note" maxlength="500" rows="3"></textarea></label><br><button type="submit">Acknowledge</button></form>`,
    );
  });

  serve('post', '/notify/ack/{token}', async (req) => {
    const t = token(req, 'post');
    const form = /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''));
    const body = noNul(validators.body('NotifyAckRequest', form ? await readForm(req) : await optionalJson(req)));
    const note = body.note?.trim() || undefined;
    const pool = await fromDatabase(openDatabase());
    const used = await fromDatabase(
      useAckLink(pool, kit.secrets().signingKey, t, Date.now(), note, async (link) => {
        const service = alerts();
        if (!service?.ready) return { ok: false, status: 503, error: 'alerts are not loaded yet: try the link again shortly' };
        const r = await service.acknowledge(link.alertId, link.username, note);
        if (r.ok) return { ok: true };
        return { ok: false, status: 409, error: r.status === 404 ? `alert ${link.alertId} is no longer open` : r.error };
      }),
    );
    if (!used.ok) throw new HttpError(used.status, used.error);
    if (form) return page('Acknowledged', `<p>Alert acknowledged by <b>${esc(used.link.username)}</b>. The others are told it is being handled.</p>`);
    return { status: 200, body: { acknowledged: true, alertId: used.link.alertId, by: used.link.username } };
  });
}

/** Text Postgres can store: a NUL character anywhere in a body is refused with a sentence. */
function noNul<T>(value: T): T {
  const walk = (v: unknown): boolean => (typeof v === 'string' ? v.includes('\u0000') : v !== null && typeof v === 'object' ? Object.values(v).some(walk) : false);
  if (walk(value)) throw new HttpError(400, 'text in the body must not contain the NUL character (\\u0000)');
  return value;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small HTML page (styles inline: the API's CSP is loosened for this answer only). */
function page(title: string, content: string): Reply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · Octopus</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#111;background:#fff}textarea{width:100%}button{font-size:1rem;padding:.6rem 1.2rem;margin-top:.5rem}@media (prefers-color-scheme:dark){body{color:#eee;background:#111}}</style></head>
<body><h1>${esc(title)}</h1>${content}</body></html>`;
  return {
    status: 200,
    stream: async (res: ServerResponse) => {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      res.end(html);
    },
  };
}

function optionalJson(req: ApiRequest): Promise<unknown> {
  const length = req.headers['content-length'];
  const none = !(req as { _body?: boolean })._body && req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
  return none ? Promise.resolve({}) : readJsonBody(req);
}

/** A small urlencoded form (the confirmation page's), bounded. */
async function readForm(req: ApiRequest): Promise<unknown> {
  if ((req as { _body?: boolean })._body) return req.body ?? {};
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > FORM_LIMIT) reject(new HttpError(413, `the form is larger than ${FORM_LIMIT} bytes`));
      else chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', () => reject(new HttpError(400, 'the request body could not be read to its end')));
  });
  const params = new URLSearchParams(text);
  const note = params.get('note');
  return note === null ? {} : { note: note.slice(0, 500) };
}
