import type { AlertService } from '../alerts/alert-service';
import type { AutomationService } from '../automation/automation-service';
import type { UnreadBus } from '../notify/notify-bus';
import type { SecretBox } from '../notify/secret-box';
import type { OnboardingService } from '../onboarding/onboarding-service';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthService } from '../auth/auth-service';
import { apiSecurityHeaders, principalOf, requirePrincipal } from '../auth/http-auth';
import type { Principal } from '../auth/permissions';
import type { RegistryService } from '../registry/registry-service';
import { HttpError, sendError, sendJson, sendNoContent, type ApiRequest, type HttpApp } from './http';
import { DEFAULT_BASE_PATH, openApiDocument, type HttpMethod } from './openapi';
import { ValidationError, createValidators, type Validators } from './validate';

/**
 * The one HTTP stack of the API: every part (devices, auth, alerts, energy) serves its routes
 * through a RouteKit, so each is documented in the OpenAPI document (a route missing from it
 * refuses to start), validated against it, and answers errors as `{"error": "<sentence>"}`.
 */
export interface ApiOptions {
  /** Where the API lives under the app (default /api/v1). */
  basePath?: string;
  /** Told about unexpected failures (answered 500), e.g. RED.log.error. */
  onError?: (err: Error) => void;
  /** The user store every route but the login and this document checks (the runtime's; none: every such route answers 503). */
  auth?: () => AuthService | undefined;
  /** The alert service the acknowledge links act on (the runtime's). */
  alerts?: () => AlertService | undefined;
  /** Told when a user's unread notification count changes (the runtime's bus). */
  unread?: UnreadBus;
  /** Houses, invitations and device credentials (the runtime's). */
  onboarding?: () => OnboardingService | undefined;
  /** Schedules, scenes, automations and the logbook (the runtime's). */
  automation?: () => AutomationService | undefined;
  /** The notification secrets (the runtime's); without it, read from the environment once per API. */
  secrets?: () => SecretBox;
}

/** What the auth routes borrow from the API: one way to serve, validate and answer. */
export interface RouteKit {
  base: string;
  validators: Validators;
  getAuth: () => AuthService | undefined;
  serve(method: HttpMethod, path: string, answer: (req: ApiRequest) => Reply | Promise<Reply>): void;
  parameters(path: string, method: HttpMethod, req: ApiRequest): { path: Record<string, unknown>; query: Record<string, unknown> };
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Writes the answer itself (a streamed export) instead of `body` as JSON. */
  stream?: (res: ServerResponse) => Promise<void>;
}

/** What a route of the device registry gets: the request, the running registry, the caller and the checked parameters. */
export interface Context {
  req: ApiRequest;
  service: RegistryService;
  principal: Principal;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
}

export type Handler = (ctx: Context) => Reply | Promise<Reply>;


/** What a caller who has not signed in learns of a part that is not running (while the flows start, say): nothing more. */
export const NOT_READY = 'the service is not ready: try again shortly';

/**
 * The signed-in caller (requirePrincipal), before anything about the system is said: while sign-in
 * cannot be checked (no user store yet), nobody is known, so the 503 names nothing.
 */
export async function signedInCaller(getAuth: () => AuthService | undefined, req: IncomingMessage): Promise<Principal> {
  try {
    return await requirePrincipal(getAuth, req);
  } catch (err) {
    if (err instanceof HttpError && err.status === 503) throw new HttpError(503, NOT_READY);
    throw err;
  }
}

/** The shared plumbing of every route: one way to validate, serve and answer (errors as one sentence). */
export function routeKit(app: HttpApp, options: ApiOptions): RouteKit {
  const base = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, '');
  const doc = openApiDocument(base);
  const validators = createValidators(doc);
  const getAuth = options.auth ?? (() => undefined);

  /** Whether the caller is signed in: only they may learn which part is not running. */
  const known = async (req: ApiRequest) => {
    const auth = getAuth();
    return auth !== undefined && (await principalOf(auth, req).catch(() => undefined)) !== undefined;
  };

  const fail = async (req: ApiRequest, res: ServerResponse, err: unknown) => {
    if (err instanceof HttpError) {
      const message = err.status === 503 && err.message !== NOT_READY && !(await known(req)) ? NOT_READY : err.message;
      // An oversized body may still be arriving: closing is cheaper than reading it to the end.
      sendError(res, err.status, message, err.status === 413 ? { Connection: 'close' } : undefined);
      return;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    options.onError?.(e);
    sendError(res, 500, `internal error: ${e.message}`);
  };

  /** Checks path and query against the route's documented parameters; answers 400 with one sentence. */
  const parameters = (path: string, method: HttpMethod, req: ApiRequest) => {
    try {
      return validators.parameters(path, method, { path: req.params ?? {}, query: req.query ?? {} });
    } catch (err) {
      if (err instanceof ValidationError && (err.field === 'from' || err.field === 'to')) throw new HttpError(400, `bad time range: ${err.message}`);
      throw err;
    }
  };

  const serve = (method: HttpMethod, path: string, answer: (req: ApiRequest) => Reply | Promise<Reply>) => {
    if (!doc.paths[path]?.[method]) throw new Error(`${method.toUpperCase()} ${path} is missing from the OpenAPI document`);
    app[method](base + path.replace(/\{(\w+)\}/g, ':$1'), (req: ApiRequest, res: ServerResponse) => {
      apiSecurityHeaders(res);
      // Inside a promise chain, whatever a handler throws, at once or later, becomes an answer.
      Promise.resolve(req)
        .then(answer)
        .then((reply) => (reply.stream ? reply.stream(res) : reply.status === 204 ? sendNoContent(res, reply.headers) : sendJson(res, reply.status, reply.body, reply.headers)))
        .catch((err: unknown) => fail(req, res, err))
        .catch(() => sendError(res, 500, 'internal error'));
    });
  };
  return { base, validators, getAuth, serve, parameters };
}
