/**
 * An empty payload on a command topic (issue #17). A retained command being cleared, a dashboard
 * button without a value, a Tasmota status query: none of them is a command an actuator should
 * act on, so none is forwarded as one. The message is ignored with the reason, which the parse
 * node counts and the "try a message" panel shows.
 *
 * Pure, no Node-RED import.
 */
import type { ParseResult } from '../model/reading';

/** Removes commands whose payload is empty or only whitespace; says why when nothing else is left. Mutates and returns `result`. */
export function dropEmptyCommands(result: ParseResult): ParseResult {
  const commands = result.commands;
  if (commands === undefined) return result;
  const kept = commands.filter((c) => c.value.trim().length > 0);
  if (kept.length === commands.length) return result;
  const dropped = commands.filter((c) => c.value.trim().length === 0);
  if (kept.length > 0) result.commands = kept;
  else delete result.commands;
  const topic = dropped[0].topic;
  const why = `the command topic ${JSON.stringify(topic.slice(0, 80))} carried an empty payload: no value to send to the device (a cleared retained message or a query), so it is not forwarded as a command`;
  result.ignored = result.ignored === undefined ? why : `${result.ignored}; ${why}`;
  return result;
}
