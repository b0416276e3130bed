import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export const DEFAULT_FLOW = resolve(__dirname, '..', '..', '..', 'flows', 'octopus.json');

/** A fresh data directory whose flow is the default application flow, changed by `edit`. */
export function dataDirWithDefaultFlow(edit: (nodes: FlowNode[]) => void): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'octopus-app-'));
  const nodes = JSON.parse(readFileSync(DEFAULT_FLOW, 'utf8')) as FlowNode[];
  edit(nodes);
  mkdirSync(join(dataDir, 'node-red'), { recursive: true });
  writeFileSync(join(dataDir, 'node-red', 'flows.json'), JSON.stringify(nodes, null, 2));
  return dataDir;
}

export function nodeOfType(nodes: FlowNode[], type: string): FlowNode {
  const n = nodes.find((x) => x.type === type);
  if (!n) throw new Error(`the default flow has no ${type} node`);
  return n;
}
