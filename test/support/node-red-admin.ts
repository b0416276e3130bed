import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FlowNode } from './flows';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PACKAGE = require(join(REPO_ROOT, 'package.json')) as { name: string; 'node-red': { nodes: Record<string, string> } };
export const PACKAGE_NAME = PACKAGE.name;
export const OCTOPUS_TYPES = Object.keys(PACKAGE['node-red'].nodes);

export interface Example {
  name: string;
  nodes: FlowNode[];
}

/** The example flows as the editor lists them (Import → Examples): file name without .json. */
export function readExamples(): Example[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), nodes: JSON.parse(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as FlowNode[] }));
}

/** A random operator for the apps a test starts (OCTOPUS_ADMIN_USER/PASSWORD), never one written in the repo. */
export const TEST_OPERATOR = { username: 'ship-test-operator', password: randomBytes(18).toString('base64url') };

/**
 * A bearer token for Node-RED's admin API when it requires a login (settings.adminAuth), by the
 * editor's own grant (POST /auth/token); undefined when the admin API is open (stock settings).
 */
export async function adminToken(baseUrl: string, user = TEST_OPERATOR): Promise<string | undefined> {
  const scheme = (await (await fetch(`${baseUrl}/auth/login`)).json()) as { type?: string };
  if (!scheme.type) return undefined;
  const res = await fetch(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: user.username, password: user.password }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`admin API login as ${user.username}: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** fetch on the admin API, with the token when there is one. */
export function adminFetch(baseUrl: string, path: string, token: string | undefined, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  return fetch(`${baseUrl}${path}`, { ...init, headers });
}

/** The node types a module has registered, from the admin API (GET /nodes), as the palette shows them. */
export async function registeredTypes(baseUrl: string, token?: string, module = PACKAGE_NAME): Promise<string[]> {
  const res = await adminFetch(baseUrl, '/nodes', token, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /nodes: ${res.status}`);
  const sets = (await res.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
  const mine = sets.filter((s) => s.module === module);
  const broken = mine.filter((s) => s.err || !s.enabled);
  if (broken.length > 0) throw new Error(`node sets not loaded: ${JSON.stringify(broken)}`);
  return mine.flatMap((s) => s.types).sort();
}

/** The example flows a module offers, as the editor's Import → Examples menu gets them. */
export async function listedExamples(baseUrl: string, token?: string, module = PACKAGE_NAME): Promise<string[]> {
  const modules = (await (await adminFetch(baseUrl, '/library/examples/flows/', token)).json()) as unknown;
  if (!Array.isArray(modules) || !modules.includes(module)) throw new Error(`${module} is not among the example modules: ${JSON.stringify(modules)}`);
  const res = await adminFetch(baseUrl, `/library/examples/flows/${module}`, token);
  if (!res.ok) throw new Error(`GET /library/examples/flows/${module}: ${res.status}`);
  const entries = (await res.json()) as Array<{ fn?: string; name?: string } | string>;
  return entries.map((e) => (typeof e === 'string' ? e : (e.fn ?? e.name ?? ''))).map((n) => n.replace(/\.json$/, '')).sort();
}

/** The flow JSON of one example as the editor imports it. */
export async function fetchExample(baseUrl: string, name: string, token?: string, module = PACKAGE_NAME): Promise<FlowNode[]> {
  const res = await adminFetch(baseUrl, `/library/examples/flows/${module}/${name}`, token);
  if (!res.ok) throw new Error(`GET example ${name}: ${res.status}`);
  return (await res.json()) as FlowNode[];
}

/** A full deploy, as the editor's Deploy button does it. */
export async function deployFlows(baseUrl: string, nodes: FlowNode[], token?: string): Promise<void> {
  const res = await adminFetch(baseUrl, '/flows', token, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(nodes),
  });
  if (res.status !== 204 && res.status !== 200) throw new Error(`POST /flows: ${res.status} ${await res.text()}`);
}

