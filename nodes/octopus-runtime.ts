import type { NodeAPI } from 'node-red';
import type { HttpApp } from '../lib/api/http';
import { authorizeDashboard } from '../lib/auth/dashboard-viewer';
import { isEditorAdminAuth } from '../lib/auth/editor-auth';
import type { LiveBrokerUsers } from '../lib/mqtt-auth/live-users';
import { runtimeOf, type AdminApp, type Middleware, type OctopusRuntime, type RuntimeHost } from '../lib/runtime/octopus-runtime';
import { mountCheckRulesRoute } from './octopus-alert/check-rules-route';
import { mountDashboardRoutes } from './octopus-dashboard/dashboard-routes';
import { mountLoginPage } from './octopus-dashboard/login-routes';
import { mountOperatorRoutes } from './octopus-dashboard/operator-routes';
import { mountTryRoutes } from './octopus-parse/try-routes';

/**
 * The Octopus runtime of this Node-RED instance (lib/runtime/octopus-runtime.ts), made on first
 * use: every Octopus node module calls this when it loads, and its nodes provide their services
 * to it while they run. The routes that live beside the nodes (the editor's admin routes, the
 * dashboard pages) are mounted here, once per instance.
 */
export function octopusRuntime(RED: NodeAPI): OctopusRuntime {
  const host: RuntimeHost = {
    httpNode: RED.httpNode as unknown as HttpApp,
    httpAdmin: RED.httpAdmin as unknown as AdminApp,
    needsPermission: (permission) => RED.auth.needsPermission(permission) as unknown as Middleware,
    log: { info: (line) => RED.log.info(line), warn: (line) => RED.log.warn(line), error: (line) => RED.log.error(line) },
  };
  return runtimeOf(host, {
    mount(runtime) {
      const getAuth = () => runtime.auth.current();
      mountOperatorRoutes(host.httpAdmin, host.needsPermission, getAuth, (line) => host.log.info(line));
      mountTryRoutes(host.httpAdmin, host.needsPermission, runtime.recentMessages);
      mountCheckRulesRoute(host.httpAdmin, host.needsPermission);
      // The editor's sign-in (settings.ts) without a DATABASE_URL of its own checks this user store.
      const editorAuth = (RED.settings as { adminAuth?: unknown }).adminAuth;
      if (isEditorAdminAuth(editorAuth)) editorAuth.useWebUserStore(getAuth);
      // `npm start`'s embedded broker keeps its device users in-process (scripts/start.ts puts them in the settings).
      const brokerUsers = (RED.settings as { octopusBrokerUsers?: LiveBrokerUsers }).octopusBrokerUsers;
      if (brokerUsers) runtime.brokerUsers.provide(brokerUsers);
    },
    mountDashboard(runtime, path, slot) {
      const getAuth = () => runtime.auth.current();
      // Who may see what: the session (or token) of each request, checked against the user store.
      mountDashboardRoutes(host.httpNode, path, { current: () => slot.current(), authorize: authorizeDashboard(getAuth) });
      mountLoginPage(host.httpNode, path, getAuth);
    },
  });
}
