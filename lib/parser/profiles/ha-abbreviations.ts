/** Home Assistant MQTT discovery's abbreviated keys the parser reads, expanded before a config is read (https://www.home-assistant.io/integrations/mqtt/#supported-abbreviations-in-mqtt-discovery-messages). */
export const ABBREVIATIONS: Record<string, string> = {
  stat_t: 'state_topic',
  avty_t: 'availability_topic',
  avty: 'availability',
  cmd_t: 'command_topic',
  val_tpl: 'value_template',
  unit_of_meas: 'unit_of_measurement',
  dev_cla: 'device_class',
  stat_cla: 'state_class',
  uniq_id: 'unique_id',
  obj_id: 'object_id',
  pl_on: 'payload_on',
  pl_off: 'payload_off',
  stat_on: 'state_on',
  stat_off: 'state_off',
  pl_avail: 'payload_available',
  pl_not_avail: 'payload_not_available',
  dev: 'device',
  p: 'platform',
  t: 'topic',
};

export const DEVICE_ABBREVIATIONS: Record<string, string> = {
  ids: 'identifiers',
  cns: 'connections',
  mf: 'manufacturer',
  mdl: 'model',
  sw: 'sw_version',
  hw: 'hw_version',
  sa: 'suggested_area',
};

export function expand(obj: Record<string, unknown>, table: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) out[table[key] ?? key] = obj[key];
  return out;
}
