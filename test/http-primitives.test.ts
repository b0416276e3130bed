import assert from 'node:assert/strict';
import { isDateTime, isUuid } from '../lib/api/formats';
import { readCookie, sessionSetCookie } from '../lib/auth/session-cookie';

describe('API string formats', () => {
  it('accepts RFC 3339 date-times with an offset and a real calendar date only', () => {
    for (const ok of ['2026-11-23T10:00:00Z', '2026-11-23T10:00:00.123+02:00', '2024-02-29T23:59:60Z', '2026-11-23t10:00:00z']) assert.ok(isDateTime(ok), ok);
    for (const bad of ['2026-11-23T10:00:00', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T10:60:00Z', '2026-11-23T10:00:00+24:00', 'yesterday', '1732356000000']) {
      assert.ok(!isDateTime(bad), bad);
    }
  });

  it('accepts UUIDs and nothing else', () => {
    assert.ok(isUuid('0b6c9a52-3f5e-4d0c-9a57-5f6b1c2d3e4f'));
    assert.ok(!isUuid('0b6c9a52-3f5e-4d0c-9a57-5f6b1c2d3e4'));
    assert.ok(!isUuid('../../etc/passwd'));
  });
});

describe('the session cookie', () => {
  it('reads its own cookie among others, and nothing from a look-alike name', () => {
    assert.equal(readCookie('a=1; octopus_session=abc_-9; b=2', 'octopus_session'), 'abc_-9');
    assert.equal(readCookie('x_octopus_session=evil', 'octopus_session'), undefined);
    assert.equal(readCookie('octopus_session="quoted"', 'octopus_session'), 'quoted');
    assert.equal(readCookie('octopus_session=%E0%A4%A', 'octopus_session'), undefined, 'bad escapes are no cookie');
    assert.equal(readCookie(undefined, 'octopus_session'), undefined);
  });

  it('is written httpOnly, SameSite=Lax, site-wide, Secure when asked, and cleared with Max-Age=0', () => {
    const expires = new Date(Date.UTC(2026, 10, 24));
    assert.equal(sessionSetCookie('octopus_session', 'tok', { secure: true, expires }), 'octopus_session=tok; Path=/; Expires=Tue, 24 Nov 2026 00:00:00 GMT; HttpOnly; SameSite=Lax; Secure');
    assert.equal(sessionSetCookie('octopus_session', '', { secure: false }), 'octopus_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
  });
});
