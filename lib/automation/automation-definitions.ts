import { randomUUID } from 'node:crypto';
import { automationProblem, findLoop, sceneTargetsProblem, scheduleProblem, type SiteFacts } from './automation-check';
import { deleteRow, saveAutomation, saveSchedule, saveScene } from './automation-store';
import type { AutomationService } from './automation-service';
import type { Automation, AutomationDefinition, Scene, Schedule, ScheduleAction, Slot, Target } from './automation-types';

/**
 * Creating, changing and deleting schedules, scenes and automations: checked against the site
 * (lib/automation/automation-check.ts), saved, then handed to the running service. Each answer
 * is the saved item or why not, as one sentence with an HTTP status.
 */
export type Saved<T> = { ok: true; item: T } | { ok: false; status: 400 | 404 | 409; error: string };

export const MAX_PER_SITE = 1000;

function facts(service: AutomationService, site: string): SiteFacts {
  return { site, device: (id) => service.registry.registry.get(id), scene: (id) => service.scenes.get(id) };
}

export interface SceneInput {
  name: string;
  targets?: Target[];
  /** Attributes whose current values become the targets. */
  capture?: Array<{ deviceId: string; attribute: string }>;
}

export async function saveSceneInput(service: AutomationService, site: string, input: SceneInput, by: string, existing?: Scene): Promise<Saved<Scene>> {
  if (!existing && [...service.scenes.values()].filter((s) => s.site === site).length >= MAX_PER_SITE) return { ok: false, status: 409, error: `site "${site}" has ${MAX_PER_SITE} scenes already` };
  const targets: Target[] = [...(input.targets ?? [])];
  for (const c of input.capture ?? []) {
    const d = service.registry.registry.get(c.deviceId);
    const v = d && d.site === site ? d.attributes.get(c.attribute)?.value : undefined;
    if (v === undefined) return { ok: false, status: 400, error: `cannot capture ${c.deviceId} ${c.attribute}: it has not reported a value at site "${site}"` };
    targets.push({ deviceId: c.deviceId, attribute: c.attribute, value: v });
  }
  if (targets.length === 0) return { ok: false, status: 400, error: 'a scene needs at least one target (targets or capture)' };
  const problem = sceneTargetsProblem(facts(service, site), targets);
  if (problem) return { ok: false, status: 400, error: problem };
  const scene: Scene = {
    id: existing?.id ?? randomUUID(),
    site,
    name: input.name,
    targets,
    previous: existing?.previous ?? null,
    appliedAt: existing?.appliedAt ?? null,
    updatedAt: service.now(),
    updatedBy: by,
  };
  if (existing) {
    const loop = loopWith(service, site, undefined, scene);
    if (loop) return { ok: false, status: 409, error: loop };
  }
  await saveScene(await service.database(), scene);
  service.scenes.set(scene.id, scene);
  return { ok: true, item: scene };
}

export async function deleteScene(service: AutomationService, scene: Scene): Promise<Saved<Scene>> {
  const users = [...service.engine.all()].filter((a) => a.trigger.type === 'scene' && a.trigger.sceneId === scene.id || a.actions.some((x) => x.type === 'scene' && x.sceneId === scene.id));
  const schedules = [...service.schedules.values()].filter(({ schedule }) => schedule.action.type === 'scene' && schedule.action.sceneId === scene.id);
  const named = [...users.map((a) => `automation '${a.name}'`), ...schedules.map(({ schedule }) => `schedule '${schedule.name}'`)];
  if (named.length > 0) return { ok: false, status: 409, error: `scene '${scene.name}' is used by ${named.join(', ')}: change those first` };
  await deleteRow(await service.database(), 'scenes', scene.id);
  service.scenes.delete(scene.id);
  service.lastApply.delete(scene.id);
  return { ok: true, item: scene };
}

export interface ScheduleInput {
  name: string;
  enabled?: boolean;
  action: ScheduleAction;
  slots: Slot[];
}

export async function saveScheduleInput(service: AutomationService, site: string, input: ScheduleInput, by: string, existing?: Schedule): Promise<Saved<Schedule>> {
  if (!existing && [...service.schedules.values()].filter(({ schedule }) => schedule.site === site).length >= MAX_PER_SITE) {
    return { ok: false, status: 409, error: `site "${site}" has ${MAX_PER_SITE} schedules already` };
  }
  const clock = service.clockOf(site);
  const problem = scheduleProblem(facts(service, site), input.action, input.slots, clock.latitude !== null && clock.longitude !== null);
  if (problem) return { ok: false, status: 400, error: problem };
  const now = service.now();
  const schedule: Schedule = {
    id: existing?.id ?? randomUUID(),
    site,
    name: input.name,
    enabled: input.enabled ?? true,
    action: input.action,
    slots: input.slots,
    // Slots already past when it is saved do not run: the schedule starts now.
    lastSlot: now,
    updatedAt: now,
    updatedBy: by,
  };
  await saveSchedule(await service.database(), schedule);
  service.putSchedule(schedule, now);
  return { ok: true, item: schedule };
}

export async function deleteSchedule(service: AutomationService, s: Schedule): Promise<void> {
  await deleteRow(await service.database(), 'schedules', s.id);
  service.schedules.delete(s.id);
}

export interface AutomationInput extends Partial<AutomationDefinition> {
  name: string;
  enabled?: boolean;
  trigger: AutomationDefinition['trigger'];
  actions: AutomationDefinition['actions'];
}

/** The loop this automation (or changed scene) would close among the site's automations, as a sentence. */
function loopWith(service: AutomationService, site: string, changed: Automation | undefined, scene?: Scene): string | undefined {
  const nodes = [...service.engine.all()].filter((a) => a.site === site && a.id !== changed?.id);
  if (changed) nodes.push(changed);
  const loop = findLoop(
    nodes.map((a) => ({ id: a.id, name: a.name, def: a })),
    (id) => (scene && id === scene.id ? scene : service.scenes.get(id)),
  );
  return loop ? `this would make a loop: ${loop.map((n) => `'${n}'`).join(' → ')} (each one's action triggers the next)` : undefined;
}

export async function saveAutomationInput(service: AutomationService, site: string, input: AutomationInput, by: string, existing?: Automation): Promise<Saved<Automation>> {
  if (!existing && [...service.engine.all()].filter((a) => a.site === site).length >= MAX_PER_SITE) return { ok: false, status: 409, error: `site "${site}" has ${MAX_PER_SITE} automations already` };
  const automation: Automation = {
    id: existing?.id ?? randomUUID(),
    site,
    name: input.name,
    enabled: input.enabled ?? true,
    trigger: input.trigger,
    conditions: input.conditions ?? [],
    actions: input.actions,
    maxRunsPerHour: input.maxRunsPerHour ?? 60,
    updatedAt: service.now(),
    updatedBy: by,
  };
  const problem = automationProblem(facts(service, site), automation);
  if (problem) return { ok: false, status: 400, error: problem };
  const loop = loopWith(service, site, automation);
  if (loop) return { ok: false, status: 409, error: loop };
  await saveAutomation(await service.database(), automation);
  service.putAutomation(automation);
  return { ok: true, item: automation };
}

export async function deleteAutomation(service: AutomationService, a: Automation): Promise<void> {
  await deleteRow(await service.database(), 'automations', a.id);
  service.removeAutomation(a.id);
}
