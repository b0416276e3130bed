/**
 * Which profile reads a message, decided by the topic's shape alone, with cheap checks: a switch
 * on the first level's length, then a few string comparisons on the first and last levels. No
 * regex, no split, no allocation for a plain topic.
 *
 * Markers (a profile recognises a topic by them):
 *  - first level: `tele`/`stat`/`cmnd` Tasmota, `zigbee2mqtt` Zigbee2MQTT, `shellies` Shelly Gen1,
 *    `homie` Homie, `homeassistant` Home Assistant discovery, `owntracks` OwnTracks. A first-level
 *    marker of an enabled profile is decisive: the last levels are not looked at.
 *  - last levels: `<topic>/tele|stat|cmnd/<suffix>` Tasmota (FullTopic `%topic%/%prefix%/`);
 *    `<prefix>/status/<component:id>`, `<prefix>/command/<component:id>`, `<prefix>/events/rpc`,
 *    `<id>/online`, `<id>/rpc`, `<id>/command` Shelly Gen2+; `<prefix>/<component>/<object>[/<sub>]/state|command`
 *    and `<node>/status`, `<node>/debug` ESPHome.
 *  - Home Assistant also claims every topic a discovery config announced (state, availability,
 *    command topics), from the ProfileContext.
 *
 * The Octopus format reads a topic that no other enabled profile recognises, by a marker or by a
 * discovery announcement, wherever it stands in the list: so plain topics never go to a firmware
 * profile by accident, and firmware or announced topics never to Octopus while their profile is
 * enabled. It is listed first because it is the fast path: a plain topic is settled after a few
 * length checks and string comparisons. Its rejects (depth, empty level…) are also the answer for a
 * topic nobody recognises. The order decides between the other profiles when several recognise the
 * same topic: Home Assistant against the profile whose topics it announced (Zigbee2MQTT, Tasmota,
 * ESPHome and Shelly publish discovery for their own topics), and the rare topic with two firmware
 * markers. A list with one profile forces it; with Octopus disabled, a topic no enabled profile
 * recognises is refused (`topic-unknown`), never guessed at.
 */
import type { ProfileName } from '../model/reading';
import type { ProfileContext } from './context';
import { ESPHOME_COMPONENTS } from './profiles/esphome';
import { GEN2_SINGLETONS } from './profiles/shelly';

/** Every profile, in the default order: Octopus first (the fast path), Home Assistant last. */
export const DEFAULT_PROFILE_ORDER: readonly ProfileName[] = ['octopus', 'tasmota', 'z2m', 'shelly', 'esphome', 'homie', 'owntracks', 'ha'];

const BIT: Record<ProfileName, number> = { octopus: 1, tasmota: 2, z2m: 4, shelly: 8, esphome: 16, homie: 32, owntracks: 64, ha: 128 };

export interface DetectPlan {
  order: readonly ProfileName[];
  /** Bits of the enabled profiles. */
  enabled: number;
}

function compile(order: readonly ProfileName[]): DetectPlan {
  let enabled = 0;
  for (const p of order) enabled |= BIT[p];
  return { order, enabled };
}

const DEFAULT_PLAN = compile(DEFAULT_PROFILE_ORDER);
const plans = new WeakMap<readonly string[], DetectPlan>();

/** The compiled order for ParseOptions.profiles; cached by array identity (the node passes the same array). */
export function planOf(profiles: readonly string[] | undefined): DetectPlan {
  if (profiles === undefined) return DEFAULT_PLAN;
  let plan = plans.get(profiles);
  if (plan === undefined) {
    plan = compile(parseProfileList(profiles).profiles);
    plans.set(profiles, plan);
  }
  return plan;
}

/** Known profile names from a list or a comma-separated text, in order, without duplicates; and the unknown ones. */
export function parseProfileList(list: string | readonly string[]): { profiles: ProfileName[]; unknown: string[] } {
  const names = typeof list === 'string' ? list.split(/[\s,]+/) : list;
  const profiles: ProfileName[] = [];
  const unknown: string[] = [];
  for (const raw of names) {
    if (typeof raw !== 'string') continue;
    const name = raw.trim().toLowerCase();
    if (name.length === 0) continue;
    if (isProfileName(name)) {
      if (!profiles.includes(name)) profiles.push(name);
    } else unknown.push(raw.trim());
  }
  return { profiles, unknown };
}

export function isProfileName(s: string): s is ProfileName {
  return Object.prototype.hasOwnProperty.call(BIT, s);
}

/** Bits of the enabled profiles whose markers the topic carries. */
export function markersOf(topic: string, enabled: number): number {
  // No slices on the way: a plain topic is settled by comparing a few lengths, so the Octopus path
  // allocates nothing here.
  const s1 = topic.indexOf('/');
  if (s1 < 0) return 0; // one level: no firmware publishes there
  const head = firstLevelMarker(topic, s1) & enabled;
  if (head !== 0) return head;
  let mask = 0;
  const last = topic.lastIndexOf('/');
  const lastLen = topic.length - last - 1;
  if (last === s1) {
    // two levels
    if (lastLen === 6 ? endsWithLevel(topic, 'status') : lastLen === 5 && endsWithLevel(topic, 'debug')) mask |= BIT.esphome;
    else if (lastLen === 6 ? endsWithLevel(topic, 'online') : lastLen === 3 ? endsWithLevel(topic, 'rpc') : lastLen === 7 && endsWithLevel(topic, 'command')) mask |= BIT.shelly;
    return mask & enabled;
  }
  const prev = topic.lastIndexOf('/', last - 1);
  const secondLen = last - prev - 1;
  if (secondLen === 4) {
    if (levelIs(topic, prev, 'tele') || levelIs(topic, prev, 'stat') || levelIs(topic, prev, 'cmnd')) mask |= BIT.tasmota;
  } else if (secondLen === 6 || secondLen === 7) {
    if (levelIs(topic, prev, 'status') || levelIs(topic, prev, 'command')) {
      if (topic.indexOf(':', last) > 0 || GEN2_SINGLETONS.has(topic.slice(last + 1))) mask |= BIT.shelly;
    } else if (levelIs(topic, prev, 'events') && lastLen === 3 && endsWithLevel(topic, 'rpc')) mask |= BIT.shelly;
  }
  if ((lastLen === 5 ? endsWithLevel(topic, 'state') : lastLen === 7 && endsWithLevel(topic, 'command')) && prev > 0) {
    const prev2 = topic.lastIndexOf('/', prev - 1);
    if (prev2 >= 0 && ESPHOME_COMPONENTS.has(topic.slice(prev2 + 1, prev))) mask |= BIT.esphome;
    else if (prev2 > 0) {
      const prev3 = topic.lastIndexOf('/', prev2 - 1);
      if (prev3 >= 0 && ESPHOME_COMPONENTS.has(topic.slice(prev3 + 1, prev2))) mask |= BIT.esphome;
    }
  }
  return mask & enabled;
}

/** The marker of the first level (which ends at s1), by its length first. */
function firstLevelMarker(topic: string, s1: number): number {
  switch (s1) {
    case 4:
      return topic.startsWith('tele/') || topic.startsWith('stat/') || topic.startsWith('cmnd/') ? BIT.tasmota : 0;
    case 5:
      return topic.startsWith('homie/') ? BIT.homie : 0;
    case 8:
      return topic.startsWith('shellies/') ? BIT.shelly : 0;
    case 9:
      return topic.startsWith('owntracks/') ? BIT.owntracks : 0;
    case 11:
      return topic.startsWith('zigbee2mqtt/') ? BIT.z2m : 0;
    case 13:
      return topic.startsWith('homeassistant/') ? BIT.ha : 0;
    default:
      return 0;
  }
}

/** The level starting after the slash at `slash` is `word` (the caller checked its length). */
function levelIs(topic: string, slash: number, word: string): boolean {
  return topic.startsWith(word, slash + 1);
}

/** The last level is `word` (the caller checked its length). */
function endsWithLevel(topic: string, word: string): boolean {
  return topic.endsWith(word);
}

/**
 * The profile that reads `topic`, or undefined when no enabled profile claims it.
 * `announced` asks as if a discovery config had announced the topic (used to link discovery to
 * the device id of the profile that reads the announced topic).
 */
export function detect(topic: string, plan: DetectPlan, ctx?: ProfileContext, announced = false): ProfileName | undefined {
  const mask = markersOf(topic, plan.enabled);
  const ha = (plan.enabled & BIT.ha) !== 0 && (announced || (ctx !== undefined && ctx.claims(topic)));
  if (mask === 0 && !ha) return (plan.enabled & BIT.octopus) !== 0 ? 'octopus' : undefined;
  for (const p of plan.order) {
    if (p === 'ha') {
      if (ha || (mask & BIT.ha) !== 0) return 'ha';
    } else if (p !== 'octopus' && (mask & BIT[p]) !== 0) return p;
  }
  return undefined;
}
