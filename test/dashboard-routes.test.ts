import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { mountDashboardRoutes, type DashboardHandlers, type PageRequest } from '../nodes/octopus-dashboard/dashboard-routes';
import { ServiceSlot } from '../lib/runtime/service-slot';
import type { Viewer } from '../lib/live/viewer';

/** The dashboard's routes on a plain express app (what RED.httpNode is), with an authorize hook. */
describe('dashboard routes: every request through authorize', () => {
  let server: Server;
  let base: string;
  const app = express();
  const north: Viewer = { canSee: (s) => s === 'north', canControl: () => false };
  const seen: PageRequest[] = [];
  const slot = new ServiceSlot<DashboardHandlers>('dashboard /ui');
  mountDashboardRoutes(app, '/ui', {
    current: () => slot.current(),
    authorize: async (req) => {
      const who = req.headers['x-user'];
      if (who === 'boom') throw new Error('directory down');
      return who === 'north' ? north : undefined;
    },
  });

  before(async () => {
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  const get = (path: string, user?: string) => fetch(`${base}${path}`, { headers: user ? { 'x-user': user } : {}, redirect: 'manual' });

  it('refuses a request without a viewer (401; the page redirects to the sign-in page) and reports a failing hook (500)', async () => {
    for (const path of ['/ui/static/app.js', '/ui/vendor/chart.umd.js', '/ui/api/state', '/ui/events']) {
      assert.equal((await get(path)).status, 401, path);
    }
    // The page itself sends a person to sign in.
    for (const path of ['/ui/', '/ui']) {
      const page = await get(path);
      assert.equal(page.status, 302, path);
      assert.equal(page.headers.get('location'), '/ui/login');
    }
    const res = await get('/ui/api/state', 'boom');
    assert.equal(res.status, 500);
    assert.match(await res.text(), /directory down/);
  });

  it('answers 503 while no node serves the path, then hands the viewer and the subscription to it', async () => {
    assert.equal((await get('/ui/api/state', 'north')).status, 503);
    const unprovide = slot.provide({
      nodeId: 'dashboard',
      state: (res, page) => {
        seen.push(page);
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ sites: ['north', 'south'].filter((s) => page.viewer.canSee(s)) }));
      },
      events: (_req, res) => res.end(),
    });
    try {
      const res = await get('/ui/api/state?device=north%2Fr%2Fa', 'north');
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { sites: ['north'] });
      assert.equal(seen[0].viewer, north);
      assert.deepEqual([...seen[0].subscription.devices], ['north/r/a']);
      assert.equal(seen[0].apiBase, '/api/v1');
      assert.equal((await get('/ui/api/state?scope=bogus', 'north')).status, 400);
      assert.equal((await get('/ui', 'north')).status, 302);
      const page = await get('/ui/', 'north');
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.equal((await get('/ui/static/device.js', 'north')).status, 200);
      assert.equal((await get('/ui/static/..%2Fdashboard-routes.js', 'north')).status, 404);
      assert.equal((await get('/ui/static/index.html', 'north')).status, 404);
    } finally {
      unprovide();
    }
  });
});
