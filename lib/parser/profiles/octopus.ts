/**
 * The plain Octopus format as a profile: `site/room/device/attribute` or `site/room/device` with a
 * JSON object of attributes. The parsing itself is octopus-format.ts (parseMessage calls it
 * directly, it is the hot path); this module gives detection and Home Assistant discovery the
 * device a topic belongs to.
 */
import type { DeviceRef } from '../../model/reading';
import { parseOctopusMessage } from '../octopus-format';
import type { Profile } from './common';

function deviceOf(levels: readonly string[]): DeviceRef | undefined {
  if (levels.length !== 3 && levels.length !== 4) return undefined;
  return { deviceId: levels.slice(0, 3).join('/'), site: levels[0], room: levels[1], device: levels[2], profile: 'octopus' };
}

export const octopus: Profile = {
  name: 'octopus',
  parse: (input) => parseOctopusMessage(input.topic, input.text, undefined, input.now),
  deviceOf,
};
