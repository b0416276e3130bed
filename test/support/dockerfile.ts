import { readFileSync } from 'node:fs';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV, … */
  keyword: string;
  /** The rest of the line, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** A Dockerfile's stages and instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(path: string): Stage[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!pending && (/^\s*#/.test(line) || line.trim() === '')) return;
    if (pending && /^\s*#/.test(line)) return;
    const continued = line.endsWith('\\');
    const text = continued ? line.slice(0, -1) : line;
    pending = pending ? { text: `${pending.text} ${text.trim()}`, line: pending.line } : { text: text.trim(), line: i + 1 };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text) as RegExpExecArray;
      instructions.push({ keyword: m[1].toUpperCase(), args: m[2], line: pending.line });
      pending = undefined;
    }
  });
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ from: m[1], name: m[2], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`);
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return stages;
}

/** `["a", "b"]` (exec form) or `a b` (shell form, run by sh -c) as an argv. */
export function commandArgv(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) return JSON.parse(t) as string[];
  return ['/bin/sh', '-c', t];
}

/** ENV's `K=V K2=V2` (or legacy `K V`) form. */
export function envPairs(args: string): Array<[string, string]> {
  if (!/^\S+=/.test(args)) {
    const m = /^(\S+)\s+(.*)$/.exec(args);
    return m ? [[m[1], m[2]]] : [];
  }
  const pairs: Array<[string, string]> = [];
  for (const m of args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) pairs.push([m[1], m[2].replace(/^"(.*)"$/, '$1')]);
  return pairs;
}
