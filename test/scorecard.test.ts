import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/node-red-admin';

const run = promisify(execFile);
const SCORECARD_SCRIPT = join(REPO_ROOT, 'dist', 'scripts', 'scorecard.js');

describe('flow library scorecard (node-red-dev validate)', function () {
  this.timeout(120000);

  it('passes: no error, no warning but the scoped-name advice (P04); catalogue checks reported as not run', async () => {
    const json = join(mkdtempSync(join(tmpdir(), 'octopus-scorecard-')), 'scorecard.json');
    const { stdout, stderr } = await run(process.execPath, [SCORECARD_SCRIPT, REPO_ROOT, '--json', json], { cwd: REPO_ROOT });
    const output = `${stdout}\n${stderr}`;
    const lines = output.split('\n').map((l) => l.trim());

    assert.ok(lines.includes('Complete'), `node-red-dev ran to the end:\n${output}`);
    assert.doesNotMatch(output, /Error/, 'no error');
    const warnings = lines.filter((l) => /Warning:/.test(l));
    assert.deepEqual(warnings, ['›   Warning: P04 New Packages should use a scoped name'], `only the scoped-name advice:\n${output}`);
    for (const passed of [
      'Package is MIT licensed',
      'Repository/Bugs Link Supplied',
      'Package uses a valid name',
      'Node-RED Keyword Found',
      'Examples found for all nodes',
      'Package has 6 dependencies',
      'No incompatible packages found in dependency tree',
      'All prod dependencies using latest versions',
    ]) {
      assert.ok(lines.includes(`✅ ${passed}`), `✅ ${passed}:\n${output}`);
    }
    assert.match(output, /✅ Compatible with Node-RED v\d+\.\d+\.\d+/);
    assert.match(output, /✅ Compatible NodeJS Version found \d+\.\d+\.\d+/);
    assert.match(output, /➖ P08 not run: the flow catalogue/);
    assert.match(output, /➖ N01 not run: the flow catalogue/);

    const scorecard = JSON.parse(readFileSync(json, 'utf8')) as Record<string, { test?: boolean | null }>;
    const checks = Object.entries(scorecard).filter(([k]) => /^[PND]\d\d$/.test(k));
    assert.deepEqual(
      checks.filter(([, v]) => v.test === false).map(([k]) => k),
      [],
      'no failed check in the scorecard',
    );
    assert.deepEqual(
      checks
        .filter(([, v]) => v.test === null)
        .map(([k]) => k)
        .sort(),
      ['N01', 'P08'],
    );
  });
});
