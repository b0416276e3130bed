/**
 * What one page shows, and so what its live stream carries: every device the viewer may see (the
 * overview), a few named devices (a device page), or none (pages that follow only alerts).
 * Parsed from the stream's query string: `?scope=overview`, `?scope=alerts`,
 * `?device=<id>&device=<id>` (repeatable, so ids may hold commas) or `?devices=<id>,<id>`.
 */
export interface Subscription {
  readonly all: boolean;
  readonly devices: ReadonlySet<string>;
}

/** A page may follow at most this many named devices; beyond it, the overview scope fits better. */
export const MAX_SUBSCRIBED_DEVICES = 500;

export const OVERVIEW: Subscription = Object.freeze({ all: true, devices: new Set<string>() });

export type ParsedSubscription = { ok: true; subscription: Subscription } | { ok: false; error: string };

export function parseSubscription(query: URLSearchParams): ParsedSubscription {
  const scope = query.get('scope');
  const named = [...query.getAll('device'), ...query.getAll('devices').flatMap((v) => v.split(','))].filter((d) => d !== '');
  if (scope !== null && scope !== 'overview' && scope !== 'alerts') {
    return { ok: false, error: `scope must be overview or alerts, not ${JSON.stringify(scope.slice(0, 40))}` };
  }
  if (named.length > MAX_SUBSCRIBED_DEVICES) return { ok: false, error: `at most ${MAX_SUBSCRIBED_DEVICES} devices per page (use scope=overview)` };
  if (named.length > 0) return { ok: true, subscription: { all: false, devices: new Set(named) } };
  if (scope === 'alerts') return { ok: true, subscription: { all: false, devices: new Set() } };
  return { ok: true, subscription: OVERVIEW };
}

export function wants(s: Subscription, deviceId: string): boolean {
  return s.all || s.devices.has(deviceId);
}
