/** A reading's value as stored: numbers, booleans and text cover sensors and actuators alike. */
export type ReadingValue = number | boolean | string;

/**
 * One typed measurement of one attribute of one device, the unit the whole pipeline passes on:
 * parser → registry / alerts / dashboard → Postgres sink.
 */
export interface Reading {
  /** Stable id of the device across messages: `site/room/device` for the Octopus topic format. */
  deviceId: string;
  site: string;
  room: string;
  device: string;
  attribute: string;
  value: ReadingValue;
  unit?: string;
  /** Epoch milliseconds: the device's own timestamp when it sent one, else the receive time. */
  ts: number;
  /** True when `ts` came from the device; such readings are de-duplicated on (device, attribute, ts). */
  deviceTs: boolean;
}

/** Why a message (or one value inside it) was refused. Codes are stable: counters and tests use them. */
export type RejectCode =
  | 'topic-empty'
  | 'topic-depth'
  | 'topic-empty-level'
  | 'topic-wildcard'
  | 'topic-invalid-char'
  | 'payload-empty'
  | 'payload-too-large'
  | 'payload-not-utf8'
  | 'payload-invalid-json'
  | 'value-not-finite'
  | 'value-invalid'
  | 'timestamp-invalid'
  /** A key of a multi-attribute JSON object that cannot be an attribute name (empty, `/`, `+`, `#`, control characters). */
  | 'attribute-invalid'
  /** The parser itself failed on this message (a bug): the message is refused rather than lost. */
  | 'parser-error';

export interface Reject {
  code: RejectCode;
  /** A sentence an operator can act on, naming the offending part. */
  reason: string;
  /** The attribute the reject concerns, when one value of a multi-value payload was refused. */
  attribute?: string;
}

/**
 * What parsing one MQTT message gives: the readings it carries and what was refused. A message
 * whose every value was refused has `readings.length === 0` and at least one reject; valid
 * values in a partly bad payload still come through as readings.
 */
export interface ParseResult {
  readings: Reading[];
  rejects: Reject[];
}

export interface ParseOptions {
  /** Payloads larger than this many bytes are refused. */
  maxPayloadBytes?: number;
  /** Receive time used for readings without a device timestamp (epoch ms); defaults to now. */
  receivedAt?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
