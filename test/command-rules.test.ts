import assert from 'node:assert/strict';
import { commandMessage, controlProblem, validateCommand } from '../lib/commands/command-rules';
import { CommandTracker, sameValue, type TrackedCommand } from '../lib/commands/command-tracker';
import type { DeviceRecord } from '../lib/registry/device-registry';

function device(over: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    deviceId: 'casa/salon/luz',
    site: 'casa',
    room: 'salon',
    device: 'luz',
    state: 'online',
    stateSince: 0,
    stateReason: '',
    firstSeen: 0,
    lastSeen: 0,
    attributes: new Map(),
    meta: { controls: { on: { kind: 'switch' }, level: { kind: 'level', min: 0, max: 100, step: 5 }, setpoint: { kind: 'setpoint', min: 5, max: 30, step: 0.5 } } },
    ...over,
  };
}

describe('command rules', () => {
  it('normalises switch values and refuses anything else', () => {
    for (const v of [true, 'on', 'ON', 'true', 1, '1']) assert.deepEqual(validateCommand(device(), 'on', v), { ok: true, value: true });
    for (const v of [false, 'off', 'false', 0, '0']) assert.deepEqual(validateCommand(device(), 'on', v), { ok: true, value: false });
    const bad = validateCommand(device(), 'on', 'maybe');
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : '', /is a switch: send true\/false/);
  });

  it('checks range and step of levels and setpoints', () => {
    assert.deepEqual(validateCommand(device(), 'level', 40), { ok: true, value: 40 });
    assert.deepEqual(validateCommand(device(), 'setpoint', '21.5'), { ok: true, value: 21.5 });
    const out = validateCommand(device(), 'level', 140);
    assert.deepEqual(out, { ok: false, status: 400, error: '140 is out of range for "level": 0 to 100' });
    const step = validateCommand(device(), 'level', 42);
    assert.deepEqual(step, { ok: false, status: 400, error: '42 is not a step of 5 from 0 for "level"' });
    assert.equal(validateCommand(device(), 'level', 'high').ok, false);
  });

  it('refuses unknown devices (404) and undeclared attributes (409)', () => {
    assert.deepEqual(validateCommand(undefined, 'on', true), { ok: false, status: 404, error: 'unknown device' });
    const r = validateCommand(device(), 'colour', 'red');
    assert.equal(!r.ok && r.status, 409);
    assert.match(!r.ok ? r.error : '', /not controllable \(controllable: on, level, setpoint\)/);
  });

  it('validates control declarations', () => {
    assert.equal(controlProblem('on', { kind: 'switch' }), undefined);
    assert.match(controlProblem('x', { kind: 'dial' }) ?? '', /kind must be switch, level or setpoint/);
    assert.match(controlProblem('x', { kind: 'level', min: 10, max: 5, step: 1 }) ?? '', /min must be below max/);
    assert.match(controlProblem('x', { kind: 'level', min: 0, max: 5, step: 0 }) ?? '', /step must be positive/);
  });

  it('speaks each firmware\'s command dialect', () => {
    assert.deepEqual(commandMessage(device(), 'on', true), { topic: 'casa/salon/luz/on/set', payload: 'true' });
    assert.deepEqual(commandMessage(device({ profile: 'tasmota', device: 'plug-1' }), 'power', true), { topic: 'cmnd/plug-1/POWER', payload: 'ON' });
    assert.deepEqual(commandMessage(device({ profile: 'z2m', device: 'Living Room/Lamp' }), 'state', false), { topic: 'zigbee2mqtt/Living Room/Lamp/set', payload: '{"state":"OFF"}' });
    assert.deepEqual(commandMessage(device({ profile: 'shelly', device: 'shelly1-ABC' }), 'relay.1', true), { topic: 'shellies/shelly1-ABC/relay/1/command', payload: 'on' });
    assert.deepEqual(commandMessage(device({ profile: 'homie', device: 'thermostat' }), 'heater.target', 21), { topic: 'homie/thermostat/heater/target/set', payload: '21' });
    assert.deepEqual(commandMessage(device({ profile: 'esphome', device: 'node1' }), 'relay', true), { topic: 'node1/switch/relay/command', payload: 'ON' });
  });
});

describe('command tracker', () => {
  const cmd = (over: Partial<TrackedCommand> = {}): TrackedCommand => ({
    id: 'a', deviceId: 'd', attribute: 'on', value: true, topic: 't', payload: 'true', requestedBy: 'test',
    requestedAt: 0, status: 'pending', statusAt: 0, timeoutAt: 1000, ...over,
  });
  const reading = (value: boolean | string | number) => ({ deviceId: 'd', site: 's', room: 'r', device: 'd', attribute: 'on', value, ts: 0, deviceTs: false });

  it('confirms on the matching report, loosely compared', () => {
    const t = new CommandTracker();
    t.track(cmd());
    assert.equal(t.observe(reading(false), 10), undefined);
    assert.equal(t.observe(reading('ON'), 20)?.status, 'confirmed');
    assert.equal(t.size, 0);
    assert.equal(sameValue(40, '40'), true);
    assert.equal(sameValue('eco', 'comfort'), false);
  });

  it('times out, and a newer command supersedes an older one', () => {
    const t = new CommandTracker();
    t.track(cmd({ id: 'a' }));
    const old = t.track(cmd({ id: 'b', requestedAt: 5 }));
    assert.equal(old?.status, 'failed');
    assert.equal(old?.detail, 'superseded by command b');
    assert.deepEqual(t.expire(999), []);
    const expired = t.expire(1000);
    assert.deepEqual(expired.map((c) => [c.id, c.status]), [['b', 'timeout']]);
  });
});
