/**
 * The pack's library entry (package.json "main"): the pure pieces usable without Node-RED.
 * Node-RED itself loads the nodes from package.json's "node-red" section, not from here.
 */
export { parseMessage, createProfileContext, DEFAULT_PROFILE_ORDER, parseProfileList } from './parser';
export type {
  Reading,
  ReadingValue,
  Reject,
  RejectCode,
  ParseResult,
  ParseOptions,
  ProfileName,
  DeviceEvent,
  AvailabilityEvent,
  CommandEvent,
  DeviceInfo,
  DeletionEvent,
  EntityInfo,
} from './model/reading';
export { DEFAULT_MAX_PAYLOAD_BYTES } from './model/reading';
export { Batcher, type BatcherOptions } from './ingest/6-batcher';
export { createMessageAck, type MessageAck } from './ingest/3-message-ack';
export { migrate, loadMigrations } from './db/migrate';
