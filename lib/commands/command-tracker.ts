import type { Reading, ReadingValue } from '../model/reading';

/**
 * Follows each command until the device reports the state it was told to take (`confirmed`) or
 * the time runs out (`timeout`). A newer command to the same attribute supersedes an older one,
 * which is then closed as `failed` with that reason.
 */
export type CommandStatus = 'pending' | 'confirmed' | 'timeout' | 'failed';

export interface TrackedCommand {
  id: string;
  deviceId: string;
  attribute: string;
  value: ReadingValue;
  topic: string;
  payload: string;
  requestedBy: string;
  requestedAt: number;
  status: CommandStatus;
  statusAt: number;
  detail?: string;
  timeoutAt: number;
}

export class CommandTracker {
  private readonly pending = new Map<string, TrackedCommand>();

  private static key(deviceId: string, attribute: string): string {
    return `${deviceId}\u0000${attribute}`;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Starts tracking; returns the command it superseded, if any, closed as failed. */
  track(cmd: TrackedCommand): TrackedCommand | undefined {
    const key = CommandTracker.key(cmd.deviceId, cmd.attribute);
    const previous = this.pending.get(key);
    this.pending.set(key, cmd);
    if (!previous) return undefined;
    previous.status = 'failed';
    previous.statusAt = cmd.requestedAt;
    previous.detail = `superseded by command ${cmd.id}`;
    return previous;
  }

  /** A reading from a device: confirms the pending command it answers. */
  observe(r: Reading, now: number): TrackedCommand | undefined {
    if (this.pending.size === 0) return undefined;
    const key = CommandTracker.key(r.deviceId, r.attribute);
    const cmd = this.pending.get(key);
    if (!cmd || !sameValue(cmd.value, r.value)) return undefined;
    this.pending.delete(key);
    cmd.status = 'confirmed';
    cmd.statusAt = now;
    cmd.detail = `device reported ${String(r.value)}`;
    return cmd;
  }

  /** Closes the commands whose time ran out. */
  expire(now: number): TrackedCommand[] {
    const expired: TrackedCommand[] = [];
    for (const [key, cmd] of this.pending) {
      if (now < cmd.timeoutAt) continue;
      this.pending.delete(key);
      cmd.status = 'timeout';
      cmd.statusAt = now;
      cmd.detail = `no report of ${String(cmd.value)} within ${Math.round((cmd.timeoutAt - cmd.requestedAt) / 1000)} s`;
      expired.push(cmd);
    }
    return expired;
  }
}

/** Devices echo commands loosely: `ON` for true, `1` for true, "40" for 40. */
export function sameValue(sent: ReadingValue, reported: ReadingValue): boolean {
  if (sent === reported) return true;
  if (typeof sent === 'boolean') {
    const w = String(reported).trim().toLowerCase();
    return sent ? w === 'on' || w === 'true' || w === '1' : w === 'off' || w === 'false' || w === '0';
  }
  if (typeof sent === 'number') return Number(reported) === sent;
  return String(reported) === String(sent);
}
