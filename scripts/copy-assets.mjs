// Node-RED loads each node's .html editor file, locales/ and icons/ from beside its compiled .js,
// and the dashboard serves its browser files from there too: copy every non-TypeScript file
// under nodes/ into dist/nodes/ with the same relative path.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'nodes');
const to = join(root, 'dist', 'nodes');
if (existsSync(join(to, "octopus-dashboard", "public"))) rmSync(join(to, "octopus-dashboard", "public"), { recursive: true });
cpSync(from, to, {
  recursive: true,
  filter: (src) => !src.endsWith('.ts'),
});
