import assert from 'node:assert/strict';
import { renderHubConfig } from '../lib/hub/hub-config';

describe('hub config (lib/hub)', () => {
  const base = { site: 'casa1', central: 'broker.example.com:8883', password: 'pw-123' };

  it('bridges all local topics up below the site and the Octopus command shape down, over TLS as the hub user', () => {
    const text = renderHubConfig({ ...base, localPasswordFile: '/mosquitto/config/passwd' });
    const lines = text.split('\n');
    for (const l of [
      'connection octopus-casa1',
      'address broker.example.com:8883',
      'remote_username casa1-hub',
      'remote_clientid casa1-hub',
      'remote_password pw-123',
      'bridge_cafile /mosquitto/config/certs/central-ca.crt',
      'bridge_insecure false',
      'cleansession false',
      'local_cleansession false',
      'persistence true',
      'max_queued_messages 0',
      'topic + out 1 "" casa1/',
      'topic +/+ out 1 "" casa1/',
      'topic +/+/+ out 1 "" casa1/',
      'topic +/+/+/set in 1 "" casa1/',
      'allow_anonymous false',
      'password_file /mosquitto/config/passwd',
      'listener 1883',
    ]) assert.ok(lines.includes(l), `missing: ${l}`);
  });

  it('maps a site-named local tree onto itself, requires local logins when asked, takes extra command topics', () => {
    const lines = renderHubConfig({ ...base, localPrefix: 'casa1/', localPasswordFile: '/mosquitto/config/passwd', commandTopics: ['+/+/+/set', 'cmnd/#'], localPort: 1884, localBind: '127.0.0.1' }).split('\n');
    assert.ok(lines.includes('topic +/+/+ out 1 casa1/ casa1/'));
    assert.ok(!lines.some((l) => l.startsWith('topic #')));
    assert.ok(lines.includes('topic cmnd/# in 1 casa1/ casa1/'));
    assert.ok(lines.includes('allow_anonymous false'));
    assert.ok(lines.includes('password_file /mosquitto/config/passwd'));
    assert.ok(lines.includes('listener 1884 127.0.0.1'));
  });

  it('refuses what would make a broken or unsafe config, saying why', () => {
    assert.throws(() => renderHubConfig({ ...base, site: 'a b' }), /site name/);
    assert.throws(() => renderHubConfig({ ...base, central: 'broker.example.com' }), /host:port/);
    assert.throws(() => renderHubConfig({ ...base, password: '' }), /password/);
    assert.throws(() => renderHubConfig({ ...base, password: 'a b' }), /password/);
    assert.throws(() => renderHubConfig({ ...base, localPrefix: 'casa1' }), /end with "\/"/);
    assert.throws(() => renderHubConfig({ ...base, caFile: 'my ca.crt' }), /one word/);
    assert.throws(() => renderHubConfig({ ...base, restartTimeout: [5, 1] }), /restart timeout/);
  });
});
