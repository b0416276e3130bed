/** The parser's names for the firmware dialects it reads. */
export type ProfileName = 'octopus' | 'tasmota' | 'z2m' | 'shelly' | 'esphome' | 'homie' | 'ha' | 'owntracks';

/** Which device an event is about; the same identity fields a reading carries. */
export interface DeviceRef {
  /** `<profile>:<native id>`, e.g. `tasmota:plug-kitchen`, stable across messages of the device. */
  deviceId: string;
  site: string;
  room: string;
  /** The device's own id in its firmware: Tasmota topic, Zigbee2MQTT friendly name, Shelly id, … */
  device: string;
  profile: ProfileName;
}
