/**
 * Switch attributes and the words that mean on and off (issue #17). A relay's state arrives as
 * `"POWER1":"true"`, `"state":"on"` or `"OFF"` depending on the firmware and its settings; on an
 * attribute that is a switch these are booleans, so that charts, alerts and commands see one type.
 * Elsewhere (`"mode":"off"`, a thermostat mode) the text is kept: whether `off` is a state or a
 * name is the device's business.
 *
 * Pure, no imports: the value rules of every profile use it.
 */

/** The last dotted segment of an attribute names a switch: POWER, POWER2, state, state_l1, relay, output, ison, on… */
const SWITCH_NAME = /^(?:power\d*|state(?:_[a-z0-9]+)?|switch\d*|relay\d*|output\d*|ison|on)$/i;

/** True when the attribute (a dotted path) is a switch by its last segment. */
export function isSwitchAttribute(attribute: string): boolean {
  const dot = attribute.lastIndexOf('.');
  return SWITCH_NAME.test(dot < 0 ? attribute : attribute.slice(dot + 1));
}

/** `true`/`on` → true, `false`/`off` → false (any letter case, trimmed); undefined for any other text. */
export function switchWord(s: string): boolean | undefined {
  const t = s.length > 7 ? '' : s.trim().toLowerCase();
  if (t === 'on' || t === 'true') return true;
  if (t === 'off' || t === 'false') return false;
  return undefined;
}

/** The boolean a text value of a switch attribute stands for; undefined when the attribute is no switch or the text no switch word. */
export function switchValue(s: string, attribute: string): boolean | undefined {
  if (s.length > 7) return undefined;
  const b = switchWord(s);
  return b !== undefined && isSwitchAttribute(attribute) ? b : undefined;
}
