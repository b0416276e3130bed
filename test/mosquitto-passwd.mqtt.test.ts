import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from '../lib/mqtt-auth/password-hash';
import { parsePasswordFile } from '../lib/mqtt-auth/password-file';

// Mosquitto's own tool (Debian's mosquitto package), so this file is in the mqtt tier.
const MOSQUITTO_PASSWD = process.env.MOSQUITTO_PASSWD_BIN || '/usr/bin/mosquitto_passwd';

describe('mqtt-auth: hashes written by the real mosquitto_passwd', () => {
  it('verifies a hash the real mosquitto_passwd wrote, and refuses a wrong password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'octopus-passwd-'));
    const file = join(dir, 'passwd');
    execFileSync(MOSQUITTO_PASSWD, ['-c', '-b', file, 'casa1-hub', 'pä55:wörd']);
    const entries = parsePasswordFile(readFileSync(file, 'utf8'));
    const hash = entries.get('casa1-hub') as string;
    assert.match(hash, /^\$7\$101\$/);
    assert.equal(verifyPassword(hash, 'pä55:wörd'), true);
    assert.equal(verifyPassword(hash, 'pä55:word'), false);
  });

});
