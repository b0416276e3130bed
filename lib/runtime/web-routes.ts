import type { AlertService } from '../alerts/alert-service';
import { registerAlertRoutes } from '../alerts/alerts-api';
import type { HttpApp } from '../api/http';
import type { ApiOptions } from '../api/route-kit';
import { registerApiRoutes } from '../api/routes';
import type { AuthService } from '../auth/auth-service';
import type { AutomationService } from '../automation/automation-service';
import type { IngestMetrics } from '../metrics/ingest-metrics';
import { mountMetricsRoute } from '../metrics/metrics-route';
import type { UnreadBus } from '../notify/notify-bus';
import type { SecretBox } from '../notify/secret-box';
import type { OnboardingService } from '../onboarding/onboarding-service';
import type { RegistryService } from '../registry/registry-service';

/** Where the routes read their services: the runtime's slots, on every request. */
export interface WebRouteSources {
  httpNode: HttpApp;
  logError(line: string): void;
  auth(): AuthService | undefined;
  registry(): RegistryService | undefined;
  alerts(): AlertService | undefined;
  metrics: IngestMetrics;
  /** Where the notification routes tell the dashboards a user's unread count changed. */
  unread: UnreadBus;
  onboarding: OnboardingService;
  automation(): AutomationService | undefined;
  secrets(): SecretBox;
}

/**
 * The runtime's routes on RED.httpNode, mounted once when it is made: the REST API under /api/v1
 * (sign-in and users, devices, energy, alerts, the OpenAPI document) and /metrics. Every one
 * checks its caller against the runtime's user store, and reads its service from the runtime's
 * slot on every request (503 while none is deployed). A new part of the API is added here.
 */
export function mountWebRoutes(from: WebRouteSources): void {
  const options: ApiOptions = {
    onError: (err) => from.logError(`octopus API: ${err.stack ?? err.message}`),
    auth: from.auth,
    alerts: from.alerts,
    unread: from.unread,
    onboarding: () => from.onboarding,
    automation: from.automation,
    secrets: from.secrets,
  };
  registerApiRoutes(from.httpNode, from.registry, options);
  registerAlertRoutes(from.httpNode, from.alerts, options);
  mountMetricsRoute(from.httpNode, from.auth, from.metrics);
}
