import type { BrokerEvent } from '../mqtt-auth/live-users';
import type { DeviceRecord } from '../registry/device-registry';
import type { ClientRecord } from './onboarding-store';
import type { NotedReject } from './recent-rejects';

/**
 * What a newly added device has done so far, in words for its owner: its first reading, else
 * what the broker said of it (a refused login, a refused client id, a publish outside its house),
 * else that nothing has arrived yet and what each broker can and cannot tell.
 */
export interface FirstReading {
  state: 'waiting' | 'reading' | 'problem' | 'revoked';
  message: string;
  reading: { deviceId: string; attribute: string; value: number | boolean | string; unit: string | null; at: string } | null;
  events: Array<{ kind: BrokerEvent['kind'] | 'parser-reject'; at: string; detail: string }>;
}

/** Registry devices that are this client's: in its house, named by its topic id (Octopus, Tasmota and Shelly topics). */
export function devicesOf(c: ClientRecord, all: Iterable<DeviceRecord>): DeviceRecord[] {
  const out: DeviceRecord[] = [];
  for (const d of all) if (d.site === c.site && (d.device === c.topicId || d.deviceId.split(/[/:]/).includes(c.topicId))) out.push(d);
  return out;
}

const fmt = (v: number | boolean | string, unit: string | undefined) => `${typeof v === 'number' ? String(Math.round(v * 100) / 100) : String(v)}${unit ? ` ${unit}` : ''}`;

export function firstReading(
  c: ClientRecord,
  devices: readonly DeviceRecord[],
  events: readonly BrokerEvent[],
  brokerKind: 'mosquitto-dynsec' | 'embedded' | 'none',
  timeZone = 'UTC',
  rejects: readonly NotedReject[] = [],
): FirstReading {
  const ev: FirstReading['events'] = [
    ...events.map((e) => ({ kind: e.kind, at: new Date(e.at).toISOString(), detail: describe(e) })),
    ...rejects.map((r) => ({ kind: 'parser-reject' as const, at: new Date(r.at).toISOString(), detail: rejectText(r) })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  if (c.revokedAt !== null) return { state: 'revoked', message: 'Its credentials were revoked: the broker refuses it.', reading: null, events: ev };
  // What arrived first; of what came with it (a firmware's first few messages), a measurement with a unit says most.
  const all = devices.flatMap((d) => [...d.attributes].map(([attribute, s]) => ({ deviceId: d.deviceId, attribute, s })));
  const earliest = Math.min(...all.map((a) => a.s.firstSeen));
  const rank = (a: (typeof all)[number]) => (typeof a.s.value === 'number' ? (a.s.unit ? 0 : 1) : 2);
  const pick = all.filter((a) => a.s.firstSeen - earliest <= 5000).sort((x, y) => rank(x) - rank(y) || x.s.firstSeen - y.s.firstSeen || x.attribute.localeCompare(y.attribute))[0];
  const first: FirstReading['reading'] = pick ? { deviceId: pick.deviceId, attribute: pick.attribute, value: pick.s.value, unit: pick.s.unit ?? null, at: new Date(pick.s.firstSeen).toISOString() } : null;
  if (first) {
    const time = new Date(first.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', timeZone });
    return { state: 'reading', message: `First reading: ${first.attribute} ${fmt(first.value, first.unit ?? undefined)} at ${time}.`, reading: first, events: ev };
  }
  const lastReject = rejects[rejects.length - 1];
  const problem = [...events].reverse().find((e) => e.kind !== 'connected');
  if (lastReject && (!problem || lastReject.at >= problem.at)) return { state: 'problem', message: rejectText(lastReject), reading: null, events: ev };
  if (problem) return { state: 'problem', message: describe(problem), reading: null, events: ev };
  if (events.some((e) => e.kind === 'connected')) {
    return { state: 'waiting', message: 'It has logged in to the broker; no reading has arrived from it yet. It sends its first one within its telemetry period (Tasmota: TelePeriod, 300 s by default).', reading: null, events: ev };
  }
  const hint =
    brokerKind === 'mosquitto-dynsec'
      ? 'Mosquitto does not say whose login it refused (its log reads "Client <unknown> disconnected, not authorised") and drops a publish outside the house silently, so check the settings, above all the client id, which must be exactly as given.'
      : brokerKind === 'embedded'
        ? 'The broker reports here when it refuses its login, its client id or a publish outside its house.'
        : 'No broker reports to Octopus about its clients: check the broker\'s log if nothing arrives.';
  return { state: 'waiting', message: `Nothing has arrived from it yet. Check that the device is powered and the settings were pasted exactly. ${hint}`, reading: null, events: ev };
}

function rejectText(r: NotedReject): string {
  return `Its message on ${r.topic} arrived but the parser refused it (${r.code}): ${r.reason}`;
}

function describe(e: BrokerEvent): string {
  switch (e.kind) {
    case 'auth-refused':
      return 'The broker refused its login: the username or password is wrong (paste the settings again, or rotate its credentials).';
    case 'client-id-refused':
      return `The broker refused its client id${e.detail ? ` (${e.detail})` : ''}: set the client id exactly as given.`;
    case 'publish-denied':
      return `It published outside its house (${e.topic ?? 'a topic'}), which the broker refused: its topic must start with its site.`;
    case 'connected':
      return 'It logged in to the broker.';
  }
}
