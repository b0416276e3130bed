import type { ReadingValue } from '../model/reading';

/**
 * The shapes of home automation (issue #21), as stored (JSON in Postgres) and served by the REST
 * API: schedules, scenes, automations, and the cause chain every command and logbook line carries.
 * The OpenAPI document (lib/api/openapi-automation.ts) describes the same shapes for validation.
 */

/** A device attribute and the value it should take. */
export interface Target {
  deviceId: string;
  attribute: string;
  value: ReadingValue;
}

export interface Scene {
  id: string;
  site: string;
  name: string;
  targets: Target[];
  /** The states before the last apply (for restore); null before the first. */
  previous: Target[] | null;
  appliedAt: number | null;
  updatedAt: number;
  updatedBy: string | null;
}

/** A time of the week in the site's zone: ISO weekdays (1 = Monday … 7 = Sunday) and "HH:MM". */
export type Slot =
  | { kind: 'weekly'; days: number[]; time: string; value?: ReadingValue }
  | { kind: 'sun'; days: number[]; event: 'sunrise' | 'sunset'; offsetMinutes: number; value?: ReadingValue }
  | { kind: 'once'; at: string; value?: ReadingValue };

/** What a schedule does at each slot: set one attribute (to the slot's value) or apply a scene. */
export type ScheduleAction = { type: 'command'; deviceId: string; attribute: string } | { type: 'scene'; sceneId: string };

export interface Schedule {
  id: string;
  site: string;
  name: string;
  enabled: boolean;
  action: ScheduleAction;
  slots: Slot[];
  /** The last slot time run or logged as missed (epoch ms); null: none yet. */
  lastSlot: number | null;
  updatedAt: number;
  updatedBy: string | null;
}

export type Trigger =
  | { type: 'reading'; deviceId: string; attribute: string; above?: number; below?: number; equals?: ReadingValue }
  | { type: 'offline'; deviceId: string }
  | { type: 'alert'; deviceId?: string; severity?: string }
  | { type: 'time'; days: number[]; time: string }
  | { type: 'scene'; sceneId: string };

export type Condition =
  | { type: 'time'; from: string; to: string }
  | { type: 'state'; deviceId: string; attribute: string; above?: number; below?: number; equals?: ReadingValue }
  | { type: 'home'; deviceIds?: string[]; region?: string; radiusM?: number };

export type Action =
  | { type: 'command'; deviceId: string; attribute: string; value: ReadingValue; forSeconds?: number; thenValue?: ReadingValue }
  | { type: 'scene'; sceneId: string }
  | { type: 'notify'; message: string }
  | { type: 'wait'; seconds: number };

export interface AutomationDefinition {
  trigger: Trigger;
  conditions: Condition[];
  actions: Action[];
  /** At most this many runs in any hour; beyond, runs are refused as rate-limited. */
  maxRunsPerHour: number;
}

export interface Automation extends AutomationDefinition {
  id: string;
  site: string;
  name: string;
  enabled: boolean;
  updatedAt: number;
  updatedBy: string | null;
}

/** One link of a cause chain, newest first: "light on ← automation 'hall motion' ← motion sensor 21:04". */
export type CauseLink =
  | { kind: 'automation'; id: string; name: string }
  | { kind: 'schedule'; id: string; name: string; slotAt: number }
  | { kind: 'scene'; id: string; name: string }
  | { kind: 'user'; name: string }
  | { kind: 'reading'; deviceId: string; attribute: string; value: ReadingValue; at: number }
  | { kind: 'device'; deviceId: string; state: string; at: number }
  | { kind: 'alert'; id: string; message: string; at: number }
  | { kind: 'time'; at: number };

export const LOGBOOK_KINDS = ['device', 'command', 'alert', 'automation', 'schedule', 'scene'] as const;
export type LogbookKind = (typeof LOGBOOK_KINDS)[number];

export interface LogbookEntry {
  id?: number;
  site: string;
  at: number;
  kind: LogbookKind;
  deviceId: string | null;
  message: string;
  cause: CauseLink[];
}

export type RunOutcome = 'done' | 'skipped' | 'rate-limited' | 'failed';

export interface AutomationRun {
  automationId: string;
  site: string;
  at: number;
  outcome: RunOutcome;
  detail: string;
  cause: CauseLink[];
}

/** A notify action of an automation: the site's people are told `message` (octopus-registry queues it). */
export interface AutomationNotice {
  site: string;
  message: string;
  automationId: string;
  name: string;
  at: number;
  cause: CauseLink[];
}

/** A scene apply as it goes (each device's outcome so far), pushed to the dashboards' live streams. */
export interface SceneProgress {
  sceneId: string;
  site: string;
  startedAt: number;
  done: boolean;
  results: unknown[];
}
