import { validateCommand } from '../commands/command-rules';
import type { DeviceRecord } from '../registry/device-registry';
import type { Action, AutomationDefinition, Scene, ScheduleAction, Slot, Target } from './automation-types';
import { parseTime } from './schedule-plan';

/**
 * What a JSON schema cannot check about a definition: the devices it names belong to its site and
 * take the values it sends, the scenes exist, and automations do not trigger each other in a
 * loop. Every answer is one sentence for the person who saved it.
 */
export interface SiteFacts {
  site: string;
  device(id: string): DeviceRecord | undefined;
  scene(id: string): Scene | undefined;
}

function deviceProblem(facts: SiteFacts, deviceId: string): string | undefined {
  const d = facts.device(deviceId);
  return !d || d.site !== facts.site ? `unknown device "${deviceId}" at site "${facts.site}"` : undefined;
}

function targetProblem(facts: SiteFacts, t: Target, what: string): string | undefined {
  const d = facts.device(t.deviceId);
  if (!d || d.site !== facts.site) return `${what}: unknown device "${t.deviceId}" at site "${facts.site}"`;
  const v = validateCommand(d, t.attribute, t.value);
  return v.ok ? undefined : `${what}: ${v.error}`;
}

function sceneProblem(facts: SiteFacts, id: string, what: string): string | undefined {
  const s = facts.scene(id);
  return !s || s.site !== facts.site ? `${what}: unknown scene "${id}" at site "${facts.site}"` : undefined;
}

export function sceneTargetsProblem(facts: SiteFacts, targets: readonly Target[]): string | undefined {
  const seen = new Set<string>();
  for (const [i, t] of targets.entries()) {
    const key = `${t.deviceId}\u0000${t.attribute}`;
    if (seen.has(key)) return `target ${i + 1}: ${t.deviceId} ${t.attribute} is set twice`;
    seen.add(key);
    const p = targetProblem(facts, t, `target ${i + 1}`);
    if (p) return p;
  }
  return undefined;
}

export function scheduleProblem(facts: SiteFacts, action: ScheduleAction, slots: readonly Slot[], hasLocation: boolean): string | undefined {
  if (action.type === 'scene') {
    const p = sceneProblem(facts, action.sceneId, 'action');
    if (p) return p;
  } else {
    const p = deviceProblem(facts, action.deviceId);
    if (p) return `action: ${p}`;
  }
  for (const [i, s] of slots.entries()) {
    const what = `slot ${i + 1}`;
    if (s.kind === 'weekly' && !parseTime(s.time)) return `${what}: time must be HH:MM`;
    if (s.kind === 'once' && !Number.isFinite(Date.parse(s.at))) return `${what}: "at" must be an ISO date-time`;
    if (s.kind === 'sun' && !hasLocation) return `${what}: sunrise and sunset need the site's latitude and longitude (PUT /sites/{site}/location)`;
    if (action.type === 'command') {
      if (s.value === undefined) return `${what}: a command schedule needs a value in every slot`;
      const p = targetProblem(facts, { deviceId: action.deviceId, attribute: action.attribute, value: s.value }, what);
      if (p) return p;
    }
  }
  return undefined;
}

export function automationProblem(facts: SiteFacts, a: AutomationDefinition): string | undefined {
  const t = a.trigger;
  if ((t.type === 'reading' || t.type === 'offline' || (t.type === 'alert' && t.deviceId !== undefined)) && t.deviceId !== undefined) {
    const p = deviceProblem(facts, t.deviceId);
    if (p) return `trigger: ${p}`;
  }
  if (t.type === 'reading' && t.above === undefined && t.below === undefined && t.equals === undefined) return 'trigger: a reading trigger needs above, below or equals';
  if (t.type === 'time' && !parseTime(t.time)) return 'trigger: time must be HH:MM';
  if (t.type === 'scene') {
    const p = sceneProblem(facts, t.sceneId, 'trigger');
    if (p) return p;
  }
  for (const [i, c] of a.conditions.entries()) {
    if (c.type === 'time' && (!parseTime(c.from) || !parseTime(c.to))) return `condition ${i + 1}: from and to must be HH:MM`;
    if (c.type === 'state') {
      const p = deviceProblem(facts, c.deviceId);
      if (p) return `condition ${i + 1}: ${p}`;
    }
    if (c.type === 'home') {
      for (const id of c.deviceIds ?? []) {
        const p = deviceProblem(facts, id);
        if (p) return `condition ${i + 1}: ${p}`;
      }
    }
  }
  if (a.actions.length === 0) return 'an automation needs at least one action';
  for (const [i, x] of a.actions.entries()) {
    const what = `action ${i + 1}`;
    if (x.type === 'command') {
      const p = targetProblem(facts, x, what);
      if (p) return p;
      if (x.forSeconds !== undefined) {
        if (x.thenValue === undefined && typeof x.value !== 'boolean' && !['on', 'off', 'true', 'false'].includes(String(x.value).toLowerCase())) {
          return `${what}: "for" needs thenValue (the value to go back to) unless the attribute is a switch`;
        }
        if (x.thenValue !== undefined) {
          const q = targetProblem(facts, { ...x, value: x.thenValue }, `${what} (thenValue)`);
          if (q) return q;
        }
      }
    }
    if (x.type === 'scene') {
      const p = sceneProblem(facts, x.sceneId, what);
      if (p) return p;
    }
  }
  return undefined;
}

/** The switch value to go back to after `forSeconds`: `thenValue`, else the opposite of a switch value. */
export function undoValue(x: Extract<Action, { type: 'command' }>): Target['value'] | undefined {
  if (x.thenValue !== undefined) return x.thenValue;
  const w = String(x.value).toLowerCase();
  if (x.value === true || w === 'on' || w === 'true') return false;
  if (x.value === false || w === 'off' || w === 'false') return true;
  return undefined;
}

interface Node {
  id: string;
  name: string;
  def: AutomationDefinition;
}

/**
 * A loop of automations that trigger each other (A's action is B's trigger, …, back to A), as
 * the names in order, or undefined. An action triggers an automation when it commands the
 * attribute its reading trigger watches, or applies the scene (or a scene that sets that attribute)
 * its scene trigger watches.
 */
export function findLoop(automations: readonly Node[], sceneOf: (id: string) => Scene | undefined): string[] | undefined {
  const produces = (n: Node) => {
    const readings = new Set<string>();
    const scenes = new Set<string>();
    for (const x of n.def.actions) {
      if (x.type === 'command') readings.add(`${x.deviceId}\u0000${x.attribute}`);
      if (x.type === 'scene') {
        scenes.add(x.sceneId);
        for (const t of sceneOf(x.sceneId)?.targets ?? []) readings.add(`${t.deviceId}\u0000${t.attribute}`);
      }
    }
    return { readings, scenes };
  };
  const edges = new Map<string, string[]>();
  for (const a of automations) {
    const p = produces(a);
    edges.set(
      a.id,
      automations
        .filter((b) => {
          const t = b.def.trigger;
          return (t.type === 'reading' && p.readings.has(`${t.deviceId}\u0000${t.attribute}`)) || (t.type === 'scene' && p.scenes.has(t.sceneId));
        })
        .map((b) => b.id),
    );
  }
  const names = new Map(automations.map((a) => [a.id, a.name]));
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    state.set(id, 1);
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      if (state.get(next) === 1) return [...stack.slice(stack.indexOf(next)), next].map((x) => names.get(x)!);
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 2);
    return undefined;
  };
  for (const a of automations) {
    if (state.has(a.id)) continue;
    const found = visit(a.id);
    if (found) return found;
  }
  return undefined;
}
