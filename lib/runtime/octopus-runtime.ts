import type { AlertService } from '../alerts/alert-service';
import type { ApiHandler, HttpApp } from '../api/http';
import type { AuthService } from '../auth/auth-service';
import type { AutomationService } from '../automation/automation-service';
import type { DashboardHandlers } from '../live/dashboard-handlers';
import { IngestMetrics } from '../metrics/ingest-metrics';
import type { RecentMessages } from '../parser/recent-messages';
import type { LiveBrokerUsers } from '../mqtt-auth/live-users';
import { UnreadBus } from '../notify/notify-bus';
import { secretBox, type SecretBox } from '../notify/secret-box';
import { makeOnboarding } from '../onboarding/onboarding-setup';
import type { OnboardingService } from '../onboarding/onboarding-service';
import { RecentRejects } from '../onboarding/recent-rejects';
import { registerNotifyGauge } from '../notify/notify-metrics';
import type { RegistryService } from '../registry/registry-service';
import type { Pool } from 'pg';
import { startHistoryUpkeep, type DatabaseConnection } from './database-upkeep';
import { ServiceSlot } from './service-slot';
import { followUserStore } from './user-service';
import { mountWebRoutes } from './web-routes';

export type Middleware = (req: never, res: never, next: () => void) => void;

/** Node-RED's admin app (RED.httpAdmin): routes with a permission check in front. */
export interface AdminApp {
  get(path: string, ...handlers: (Middleware | ApiHandler)[]): unknown;
  post(path: string, ...handlers: (Middleware | ApiHandler)[]): unknown;
}

/** The pieces of Node-RED (RED) the runtime uses; lib/ never imports Node-RED itself. */
export interface RuntimeHost {
  /** RED.httpNode: /api/v1, /metrics, /ui. One per Node-RED instance: the runtime's key. */
  httpNode: HttpApp;
  /** RED.httpAdmin: the editor's routes. */
  httpAdmin: AdminApp;
  /** RED.auth.needsPermission. */
  needsPermission(permission: string): Middleware;
  log: { info(line: string): void; warn(line: string): void; error(line: string): void };
}

/** What lives outside lib/ (the nodes' own routes): given when the runtime is made. */
export interface RuntimeParts {
  /** Mounts the nodes' admin routes, once, right after the runtime is made. */
  mount?(runtime: OctopusRuntime): void;
  /** Mounts a dashboard's pages under `path`, the first time a dashboard node asks for that path. */
  mountDashboard?(runtime: OctopusRuntime, path: string, slot: ServiceSlot<DashboardHandlers>): void;
}

/**
 * Everything Octopus shares within one Node-RED instance: the HTTP routes (mounted once, when the
 * runtime is made, all checking callers against the same user store) and the shared services as
 * slots the nodes `provide` while they run and others read or subscribe to. See
 * docs/architecture.md ("The runtime") for where a new service or route goes.
 *
 * Which one is served, for every slot: the first provided that still runs (a node deployed
 * later waits in line and takes over when the first closes).
 */
export class OctopusRuntime {
  /** Connections of the deployed octopus-postgres nodes; the served one holds the web users. */
  readonly databases = new ServiceSlot<DatabaseConnection>('database');
  /** The web user store (sign-in, sessions, tokens), set up by the runtime on the served database. */
  readonly auth = new ServiceSlot<AuthService>('user store');
  /** The device registry /api/v1 serves (octopus-registry nodes provide theirs). */
  readonly registry = new ServiceSlot<RegistryService>('device registry');
  /** The alert service /api/v1/alerts and the dashboards serve (octopus-alert nodes provide theirs). */
  readonly alerts = new ServiceSlot<AlertService>('alert service');
  /** Schedules, scenes and automations (the registry node starts one beside its registry). */
  readonly automations = new ServiceSlot<AutomationService>('automation service');
  /** The Prometheus metrics /metrics serves; the ingest nodes register their counters here. */
  readonly metrics = new IngestMetrics();
  /** The parse nodes' last messages, by node id, for the editor's "try a message" panel. */
  readonly recentMessages = new Map<string, RecentMessages>();
  /** The running notification dispatcher's database (octopus-notify nodes provide it): /metrics counts its outbox. */
  readonly notifyOutbox = new ServiceSlot<() => Promise<Pool>>('notification dispatcher');
  /** Unread counts of users' notification centres, told to the dashboards' live streams. */
  readonly notifyUnread = new UnreadBus();
  /** The in-process broker's users (the embedded broker of `npm start` provides its table). */
  readonly brokerUsers = new ServiceSlot<LiveBrokerUsers>('in-process broker users');
  /** What the parse nodes refused lately, per house: a new device's page tells its owner why. */
  readonly recentRejects = new RecentRejects();
  /** Houses, invitations, device and hub credentials (lib/onboarding). */
  readonly onboarding: OnboardingService;
  private secrets?: SecretBox;
  private readonly dashboards = new Map<string, ServiceSlot<DashboardHandlers>>();

  constructor(
    readonly host: RuntimeHost,
    private readonly parts: RuntimeParts = {},
  ) {
    followUserStore(this.databases, this.auth);
    this.onboarding = makeOnboarding(process.env, () => this.brokerUsers.current(), this.recentRejects);
    registerNotifyGauge(this.metrics.registry, () => this.notifyOutbox.current());
    mountWebRoutes({
      httpNode: host.httpNode,
      logError: (line) => host.log.error(line),
      auth: () => this.auth.current(),
      registry: () => this.registry.current(),
      alerts: () => this.alerts.current(),
      metrics: this.metrics,
      unread: this.notifyUnread,
      onboarding: this.onboarding,
      automation: () => this.automations.current(),
      secrets: () => this.notifySecrets(),
    });
  }

  /**
   * Provides an open database connection: the runtime keeps its history maintenance running and,
   * while it is the served one, the web user store on it. The returned function (awaited in the
   * node's close handler, before the pool closes) stops both.
   */
  provideDatabase(conn: DatabaseConnection): () => Promise<void> {
    const stopUpkeep = startHistoryUpkeep(conn, this.metrics);
    const unprovide = this.databases.provide(conn);
    return async () => {
      unprovide();
      await stopUpkeep();
    };
  }

  /** The key that seals notification channels' secrets and signs acknowledge links (read once). */
  notifySecrets(): SecretBox {
    this.secrets ??= secretBox();
    return this.secrets;
  }

  /** The live hub slot of the dashboard at `path` (its pages are mounted on first use). */
  dashboard(path: string): ServiceSlot<DashboardHandlers> {
    let slot = this.dashboards.get(path);
    if (!slot) {
      slot = new ServiceSlot<DashboardHandlers>(`dashboard ${path}`);
      this.dashboards.set(path, slot);
      this.parts.mountDashboard?.(this, path, slot);
    }
    return slot;
  }
}

/**
 * THE registry of runtimes: one per Node-RED instance. Node-RED hands each node file its own RED
 * object, but one httpNode app per instance, so that app is the key.
 */
const runtimes = new WeakMap<object, OctopusRuntime>();

/** The runtime of the Node-RED instance `host` belongs to, made (and its routes mounted) on first use. */
export function runtimeOf(host: RuntimeHost, parts?: RuntimeParts): OctopusRuntime {
  let runtime = runtimes.get(host.httpNode);
  if (!runtime) {
    runtime = new OctopusRuntime(host, parts);
    // Kept before the nodes' routes are mounted: should one of those fail, it fails once.
    runtimes.set(host.httpNode, runtime);
    parts?.mount?.(runtime);
  }
  return runtime;
}
