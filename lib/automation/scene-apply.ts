import type { Target } from './automation-types';

/**
 * Applying a set of target states: each device commanded at once (through the command tracker,
 * behind the `send` port), each followed to its outcome; a timeout is retried once. Pure of
 * I/O: the service provides the ports.
 */
export type DeviceOutcome = 'pending' | 'confirmed' | 'timeout' | 'refused' | 'failed';

export interface TargetResult extends Target {
  outcome: DeviceOutcome;
  attempts: number;
  detail: string;
  commandId?: string;
}

export interface SceneApplyPorts {
  send(target: Target, attempt: number): Promise<{ ok: true; id: string } | { ok: false; error: string }>;
  /** Resolves when the command is confirmed, timed out or failed. */
  settled(id: string): Promise<{ status: 'confirmed' | 'timeout' | 'failed'; detail?: string }>;
  /** Told after every change, with every target's current result. */
  progress?(results: readonly TargetResult[]): void;
}

export const MAX_ATTEMPTS = 2;

export async function applyTargets(targets: readonly Target[], ports: SceneApplyPorts): Promise<TargetResult[]> {
  const results: TargetResult[] = targets.map((t) => ({ ...t, outcome: 'pending', attempts: 0, detail: 'sending' }));
  const changed = () => ports.progress?.(results.map((r) => ({ ...r })));
  changed();
  await Promise.all(
    results.map(async (r) => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        r.attempts = attempt;
        let sent;
        try {
          sent = await ports.send({ deviceId: r.deviceId, attribute: r.attribute, value: r.value }, attempt);
        } catch (err) {
          sent = { ok: false as const, error: (err as Error).message };
        }
        if (!sent.ok) {
          r.outcome = 'refused';
          r.detail = sent.error;
          changed();
          return;
        }
        r.commandId = sent.id;
        r.detail = attempt === 1 ? 'sent, waiting for the device to report it' : 'timed out once; sent again';
        changed();
        const done = await ports.settled(sent.id);
        r.outcome = done.status;
        r.detail = done.detail ?? done.status;
        if (done.status !== 'timeout' || attempt === MAX_ATTEMPTS) break;
      }
      changed();
    }),
  );
  return results;
}

/** One line about a scene's results: "3 confirmed, 1 timeout". */
export function summarize(results: readonly TargetResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no targets';
}
