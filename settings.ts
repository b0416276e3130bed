/**
 * Node-RED settings for Octopus. `npm start` uses this file (compiled to dist/settings.js), and so
 * can a plain `node-red --settings dist/settings.js` (the Docker image does).
 * Everything that varies by deployment comes from the environment; nothing secret is in here.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { editorAdminAuth } from './lib/auth/editor-auth';

const packageRoot = resolve(__dirname, '..');
const dataDir = resolve(process.env.OCTOPUS_DATA_DIR || join(process.cwd(), 'data'));
const userDir = resolve(dataDir, 'node-red');
const flowFile = 'flows.json';

// First start: the default application flow becomes the user's flow; later edits in the editor stay theirs.
mkdirSync(userDir, { recursive: true });
if (!existsSync(join(userDir, flowFile))) copyFileSync(join(packageRoot, 'flows', 'octopus.json'), join(userDir, flowFile));

// Installed as a package (in userDir/node_modules, or beside Node-RED as in the Docker image) Node-RED
// finds the pack by itself, and listing it again would load it twice. Run from the repo, load it from here.
const installedAsPackage = basename(dirname(packageRoot)) === 'node_modules' || existsSync(join(userDir, 'node_modules', 'node-red-contrib-octopus'));

const settings = {
  uiPort: Number(process.env.PORT) || 1880,
  uiHost: process.env.HOST || undefined,
  userDir,
  flowFile,
  flowFilePretty: true,
  nodesDir: installedAsPackage ? [] : [packageRoot],
  // Unset: Node-RED generates a key and keeps it in userDir/.config.runtime.json (never in the repo).
  credentialSecret: process.env.OCTOPUS_CREDENTIAL_SECRET || undefined,
  // The editor and admin API: operators only (lib/auth/editor-auth.ts). There is no default
  // password: `npm start` makes one on first start, or OCTOPUS_ADMIN_USER/PASSWORD set it.
  adminAuth: editorAdminAuth({ dataDir }),
  httpAdminRoot: '/',
  httpNodeRoot: '/',
  httpNodeCors: undefined,
  functionExternalModules: false,
  // Only the benchmark's baseline flow (a function node doing its own INSERTs) needs a library here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  functionGlobalContext: process.env.OCTOPUS_BENCH_BASELINE === '1' ? { pg: require('pg') } : {},
  exportGlobalContextKeys: false,
  diagnostics: { enabled: true, ui: true },
  runtimeState: { enabled: false, ui: false },
  telemetry: { enabled: false, updateNotification: false },
  logging: {
    console: { level: process.env.LOG_LEVEL || 'info', metrics: false, audit: false },
  },
  editorTheme: {
    page: { title: 'Octopus · Node-RED' },
    header: { title: 'Octopus' },
    projects: { enabled: false },
    tours: false,
    palette: { categories: ['octopus', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
  },
};

export = settings;
