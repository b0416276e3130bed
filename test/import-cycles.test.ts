import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * No import cycles in the sources (type-only imports included: a cycle of types is still two
 * modules that cannot be understood one without the other). Imports are read with TypeScript's
 * own pre-processor, so comments and strings that look like imports are not taken for them.
 */
const ROOT = resolve(__dirname, '..', '..');
const SOURCE_DIRS = ['lib', 'nodes', 'scripts', 'bench', 'test'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'public') continue;
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return undefined;
}

function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((f) => resolveImport(file, f.fileName)).filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle's files, found by depth-first search (one report per cycle entry point). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('import structure', () => {
  it('finds a planted cycle (the check can fail)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(findCycles(graph), [['a', 'b', 'c', 'a']]);
  });

  it('has no import cycle in lib, nodes, scripts, bench or test', () => {
    const files = SOURCE_DIRS.map((d) => join(ROOT, d)).filter(existsSync).flatMap(sources);
    files.push(join(ROOT, 'settings.ts'));
    assert.ok(files.length > 100, `only ${files.length} source files found under ${ROOT}`);
    const cycles = findCycles(importGraph(files)).map((c) => c.map((f) => relative(ROOT, f)).join(' → '));
    assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
  });

  it('has no import cycle in the browser modules (JSDoc type imports included)', () => {
    const dir = join(ROOT, 'nodes', 'octopus-dashboard', 'public');
    const files = readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => join(dir, f));
    assert.ok(files.length > 10, `only ${files.length} browser modules found in ${dir}`);
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const specs = [...ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName), ...[...text.matchAll(/import\('(\.[^']+)'\)/g)].map((m) => m[1])];
      const targets = specs.filter((spec) => spec.startsWith('.')).map((spec) => resolve(dirname(file), spec)).filter((t) => files.includes(t) && t !== file);
      graph.set(file, [...new Set(targets)]);
    }
    assert.ok([...graph.values()].some((targets) => targets.length > 0), 'no import between the browser modules found');
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' → '));
    assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
  });
});
