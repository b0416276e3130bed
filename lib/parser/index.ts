/**
 * The parser entry: turns one MQTT message (topic + payload) into readings, rejects and device
 * events, whichever dialect the device speaks: the plain Octopus format, Tasmota, Zigbee2MQTT,
 * Shelly, ESPHome, Homie, Home Assistant discovery or OwnTracks (see detect.ts for which reads what).
 * Pure: no Node-RED import, usable from any flow, script or test.
 */
import type { DeviceRef, ParseOptions, ParseResult, ProfileName } from '../model/reading';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../model/reading';
import { boundRejects } from './bounds';
import { detect, planOf, type DetectPlan } from './detect';
import { boundAttributeNames, confineToHouse, houseOf, houseOfTopic, levelLimit, longLevelReject } from './house';
import { dropEmptyCommands } from './empty-commands';
import { explainBegin, explainEnd } from './json-leaves';
import { parseOctopusMessage } from './octopus-format';
import { decodePayload, reject, show } from './parse-kit';
import { fullTopicOf, locateFullTopic, type TasmotaLocated, type TasmotaTopicOptions } from './tasmota-fulltopic';
import { parseWithTemplates, templatesOf } from './topic-template';
import { answered, PROFILE_LABEL, type Profile, type ProfileInput, refusedBy, splitTopic } from './profiles/common';
import { esphome } from './profiles/esphome';
import { ha } from './profiles/ha';
import { homie } from './profiles/homie';
import { octopus } from './profiles/octopus';
import { owntracks } from './profiles/owntracks';
import { shelly } from './profiles/shelly';
import { tasmota } from './profiles/tasmota';
import { z2m } from './profiles/z2m';

export { MAX_DEVICE_TS_AHEAD_MS, MIN_DEVICE_TS } from './parse-values';
export { MAX_REJECTS_PER_MESSAGE, rejectTotal } from './bounds';
export { createProfileContext, ProfileContext } from './context';
export { DEFAULT_PROFILE_ORDER, parseProfileList } from './detect';
export { DEFAULT_MAX_LEVEL_BYTES, FIRMWARE_BASES, houseOfTopic } from './house';
export { compileTemplates, DEFAULT_TEMPLATE } from './topic-template';
export { compileFullTopic, DEFAULT_FULLTOPIC, type TasmotaTopicOptions } from './tasmota-fulltopic';

const PROFILES: Record<ProfileName, Profile> = { octopus, tasmota, z2m, shelly, esphome, homie, ha, owntracks };

const DEFAULT_SITE = 'home';

/**
 * Parses one message. Never throws: whatever the input, the result has at least one reading, one
 * reject (with a reason an operator can act on), one device event, or an `ignored` reason. At most
 * MAX_REJECTS_PER_MESSAGE rejects are listed; the rest are counted by code in `omittedRejects`.
 *
 * @param topic   the MQTT topic: `site/room/device/attribute`, `site/room/device` for a JSON object of
 *                attributes, or a firmware topic (`tele/plug/SENSOR`, `zigbee2mqtt/Lamp`, …)
 * @param payload the raw MQTT payload (a Buffer, as mqtt.js gives it) or its text
 * @param options `maxPayloadBytes` (default DEFAULT_MAX_PAYLOAD_BYTES), `receivedAt` (epoch ms, default now),
 *                `profiles` (order / override), `defaultSite` (default `home`), `context` (createProfileContext()),
 *                `topicTemplates`, `tasmota` (FullTopic and prefixes), `explain` (report unread leaves)
 */
export function parseMessage(topic: string, payload: Buffer | string, options?: ParseOptions): ParseResult {
  if (options !== undefined && options.explain === true) return explained(topic, payload, options);
  try {
    const plan = planOf(options?.profiles);
    const maxLevel = levelLimit(options?.maxLevelBytes);
    const tooLong = typeof topic === 'string' ? longLevelReject(topic, maxLevel) : undefined;
    if (tooLong !== undefined) return { readings: [], rejects: [tooLong] };
    if (options?.tasmota !== undefined && (plan.enabled & 2) !== 0 && typeof topic === 'string') {
      const byFullTopic = parseByFullTopic(topic, payload, options, options.tasmota, plan);
      if (byFullTopic !== undefined) return finish(byFullTopic, maxLevel);
    }
    const profile = typeof topic === 'string' ? detect(topic, plan, options?.context) : (plan.enabled & 1) !== 0 ? 'octopus' : undefined;
    if (profile === 'octopus') {
      const templates = options?.topicTemplates;
      if (templates !== undefined && templates.length > 0) {
        const byTemplate = parseWithTemplates(templatesOf(templates), topic, payload, {
          maxPayloadBytes: options?.maxPayloadBytes,
          receivedAt: options?.receivedAt,
          defaultSite: defaultSiteOf(options),
        });
        if (byTemplate !== undefined) return finish(byTemplate, maxLevel);
      }
      const result = parseOctopusMessage(topic, payload, options?.maxPayloadBytes, options?.receivedAt);
      boundAttributeNames(result, maxLevel);
      if (result.readings.length === 0 && result.rejects.length === 0) result.rejects.push(noAnswer());
      return boundRejects(result);
    }
    if (profile === undefined) return { readings: [], rejects: [unclaimed(topic, plan)] };
    return finish(parseFirmware(PROFILES[profile], topic, payload, options, plan), maxLevel);
  } catch (err) {
    // The last resort, not the design: every expected problem is a reject value.
    const detail = err instanceof Error ? err.message : String(err);
    return {
      readings: [],
      rejects: [reject('parser-error', `the parser failed on this message (a bug; please report it with the payload): ${JSON.stringify(detail.slice(0, 80))}`)],
    };
  }
}

/** parseMessage with the notes of what was not read (ParseOptions.explain). */
function explained(topic: string, payload: Buffer | string, options: ParseOptions): ParseResult {
  explainBegin();
  try {
    const result = parseMessage(topic, payload, { ...options, explain: false });
    const unread = explainEnd();
    if (unread.length > 0) result.unread = unread;
    return result;
  } finally {
    explainEnd(); // also when parseMessage threw (it does not: its own catch answers), so no note outlives its message
  }
}

/** What every result of a profile or template goes through: bounds, an answer, no empty command. */
function finish(result: ParseResult, maxLevel: number): ParseResult {
  boundAttributeNames(result, maxLevel);
  dropEmptyCommands(result);
  if (!answered(result)) result.rejects.push(noAnswer());
  return boundRejects(result);
}

/** A topic of the configured Tasmota FullTopic, read by the Tasmota profile; undefined when it is not one. */
function parseByFullTopic(topic: string, payload: Buffer | string, options: ParseOptions, tasmotaOptions: TasmotaTopicOptions, plan: DetectPlan): ParseResult | undefined {
  const full = fullTopicOf(tasmotaOptions);
  if (full === undefined) return undefined;
  const levels = splitTopic(topic);
  if (!Array.isArray(levels)) return undefined;
  const at = locateFullTopic(full, levels);
  return at === undefined ? undefined : parseFirmware(tasmota, topic, payload, options, plan, at);
}

function defaultSiteOf(options: ParseOptions | undefined): string {
  const configured = options?.defaultSite;
  return typeof configured === 'string' && configured.trim().length > 0 ? configured.trim() : DEFAULT_SITE;
}

function noAnswer() {
  return reject('parser-error', 'the parser found neither a reading nor a problem in this message (a bug); it is refused so that it is not lost silently');
}

function unclaimed(topic: unknown, plan: DetectPlan) {
  if (typeof topic !== 'string' || topic.length === 0) {
    return reject('topic-empty', `the message has no topic (got ${topic === null ? 'null' : typeof topic === 'string' ? 'an empty one' : typeof topic})`);
  }
  const names = plan.order.map((p) => PROFILE_LABEL[p]).join(', ') || 'none';
  return reject('topic-unknown', `topic ${show(topic)} matches no enabled profile (enabled: ${names}); the parser does not guess a dialect`);
}

function isEmptyPayload(payload: unknown): boolean {
  if (payload === null || payload === undefined) return true;
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload.length === 0;
  return false;
}

function parseFirmware(profile: Profile, topic: string, payload: Buffer | string, options: ParseOptions | undefined, plan: DetectPlan, at?: TasmotaLocated): ParseResult {
  const levels = splitTopic(topic);
  if (!Array.isArray(levels)) return refusedBy(profile.name, levels);
  let text = '';
  if (!isEmptyPayload(payload)) {
    const limit = typeof options?.maxPayloadBytes === 'number' && options.maxPayloadBytes > 0 ? options.maxPayloadBytes : DEFAULT_MAX_PAYLOAD_BYTES;
    const decoded = decodePayload(payload, limit);
    if (typeof decoded !== 'string') return refusedBy(profile.name, decoded);
    text = decoded;
  }
  const receivedAt = options?.receivedAt;
  const now = typeof receivedAt === 'number' && Number.isFinite(receivedAt) ? receivedAt : Date.now();
  const defaultSite = defaultSiteOf(options);
  // A house's topic (a prefix in front of the firmware's levels) is filed under that house, never
  // under the default site, and cannot name a device outside it (house.ts). A configured Tasmota
  // FullTopic that starts with the (renamed) prefix names no house, like `tele/…`.
  const house = at?.prefixFirst === true ? undefined : houseOf(levels);
  const site = house ?? defaultSite;
  const input: ProfileInput = { topic, levels, text, now, site, ctx: options?.context, resolve: (t) => resolveDevice(t, plan, defaultSite) };
  if (at !== undefined) input.tasmota = at;
  const result = profile.parse(input);
  return house === undefined ? result : confineToHouse(result, house);
}

/** The device the profile that would read `topic` names, for linking discovery to readings; filed like that topic's own messages. */
function resolveDevice(topic: string, plan: DetectPlan, defaultSite: string): DeviceRef | undefined {
  const p = detect(topic, plan, undefined, true);
  if (p === undefined || p === 'ha') return undefined;
  const levels = splitTopic(topic);
  return Array.isArray(levels) ? PROFILES[p].deviceOf(levels, houseOfTopic(topic) ?? defaultSite) : undefined;
}
