import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { sentence } from '../api/validate';
import { currentVersion, migrateConfig, MIGRATIONS, type SavedConfig } from './migrations';
import { NODE_SCHEMAS, type NodeConfigs, type OctopusNodeType } from './node-schemas';

/**
 * A node's saved config as the node reads it: migrated from the version it was saved with
 * (migrations.ts), then checked against the node's schema (node-schemas.ts), typed by it. Pure: no
 * Node-RED; the nodes call it first thing and refuse to run (refuseConfig) on a problem.
 */
export type NodeConfigRead<T> =
  | {
      ok: true;
      config: T;
      /** One line to log when the config was saved by another version, else undefined. */
      note?: string;
    }
  | { ok: false; problem: string };

const ajv = new Ajv2020({ verbose: true, strict: true, allowUnionTypes: true });
const validators = new Map<OctopusNodeType, ValidateFunction>();

function validatorOf(type: OctopusNodeType): ValidateFunction {
  let v = validators.get(type);
  if (!v) validators.set(type, (v = ajv.compile(NODE_SCHEMAS[type])));
  return v;
}

/** The version a config of this node type is saved with now. */
export function configVersionOf(type: OctopusNodeType): number {
  return currentVersion(MIGRATIONS[type]);
}

/** Reads a saved config of a node type: migrated to the current version and checked, or the problem in one sentence. */
export function readNodeConfig<K extends OctopusNodeType>(type: K, saved: object): NodeConfigRead<NodeConfigs[K]> {
  const migrated = migrateConfig(saved as SavedConfig, MIGRATIONS[type]);
  if (!migrated.ok) return { ok: false, problem: `config: ${migrated.problem}` };
  const validate = validatorOf(type);
  if (!validate(migrated.config)) {
    // The API's translator of schema errors, with the node's words: a property, not a field.
    const words = sentence(validate.errors ?? [], 'body', []).message.replace(/\bfield "/g, 'property "').replace('the request body', 'the config');
    return { ok: false, problem: `config: ${words}` };
  }
  const config = migrated.config as NodeConfigs[K];
  if (migrated.newer) {
    return { ok: true, config, note: `config saved by a newer Octopus (version ${migrated.from}; this one knows up to ${migrated.to}): read as it is, properties it does not know are ignored` };
  }
  if (migrated.applied.length > 0) {
    return { ok: true, config, note: `config saved with version ${migrated.from}, read as version ${migrated.to} (${migrated.applied.join('; ')}); saving the node from the editor stores it so` };
  }
  return { ok: true, config };
}

/** What refuseConfig needs of a Node-RED node (structural: lib/ does not import Node-RED). */
export interface RefusingNode {
  error(message: string): void;
  status(s: { fill: 'red'; shape: 'ring'; text: string }): void;
  on(event: 'input', listener: (msg: unknown, send: unknown, done: (err?: Error) => void) => void): unknown;
}

/**
 * A node that cannot run with its config: says why in the log and on its status (red ring), and
 * fails every message with the reason so a Catch node sees it (nothing is acknowledged, so the
 * broker keeps what was in flight). `statusMax` cuts a long reason on the status only.
 */
export function refuseConfig(node: RefusingNode, type: OctopusNodeType, problem: string, options: { inputs?: boolean; statusMax?: number } = {}): void {
  node.error(`${type}: ${problem}`);
  const max = options.statusMax;
  node.status({ fill: 'red', shape: 'ring', text: max !== undefined && problem.length > max ? `${problem.slice(0, max)}…` : problem });
  if (options.inputs !== false) node.on('input', (_msg, _send, done) => done(new Error(`${type}: ${problem}`)));
}
