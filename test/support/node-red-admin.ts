import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
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

/** The node types a module has registered, from the admin API (GET /nodes), as the palette shows them. */
export async function registeredTypes(baseUrl: string, module = PACKAGE_NAME): Promise<string[]> {
  const res = await fetch(`${baseUrl}/nodes`, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /nodes: ${res.status}`);
  const sets = (await res.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>;
  const mine = sets.filter((s) => s.module === module);
  const broken = mine.filter((s) => s.err || !s.enabled);
  if (broken.length > 0) throw new Error(`node sets not loaded: ${JSON.stringify(broken)}`);
  return mine.flatMap((s) => s.types).sort();
}

/** The example flows a module offers, as the editor's Import → Examples menu gets them. */
export async function listedExamples(baseUrl: string, module = PACKAGE_NAME): Promise<string[]> {
  const modules = (await (await fetch(`${baseUrl}/library/examples/flows/`)).json()) as unknown;
  if (!Array.isArray(modules) || !modules.includes(module)) throw new Error(`${module} is not among the example modules: ${JSON.stringify(modules)}`);
  const res = await fetch(`${baseUrl}/library/examples/flows/${module}`);
  if (!res.ok) throw new Error(`GET /library/examples/flows/${module}: ${res.status}`);
  const entries = (await res.json()) as Array<{ fn?: string; name?: string } | string>;
  return entries.map((e) => (typeof e === 'string' ? e : (e.fn ?? e.name ?? ''))).map((n) => n.replace(/\.json$/, '')).sort();
}

/** The flow JSON of one example as the editor imports it. */
export async function fetchExample(baseUrl: string, name: string, module = PACKAGE_NAME): Promise<FlowNode[]> {
  const res = await fetch(`${baseUrl}/library/examples/flows/${module}/${name}`);
  if (!res.ok) throw new Error(`GET example ${name}: ${res.status}`);
  return (await res.json()) as FlowNode[];
}

/** A full deploy, as the editor's Deploy button does it. */
export async function deployFlows(baseUrl: string, nodes: FlowNode[]): Promise<void> {
  const res = await fetch(`${baseUrl}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(nodes),
  });
  if (res.status !== 204 && res.status !== 200) throw new Error(`POST /flows: ${res.status} ${await res.text()}`);
}

export async function countRows(url: string, sql: string, params: unknown[] = []): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(sql, params)).rows[0].n);
  } finally {
    await c.end();
  }
}
