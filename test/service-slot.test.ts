import assert from 'node:assert/strict';
import { ServiceSlot } from '../lib/runtime/service-slot';

describe('ServiceSlot (the runtime\'s shared services)', () => {
  it('serves the first service still running, and nothing once all are gone', () => {
    const slot = new ServiceSlot<string>('test');
    assert.equal(slot.current(), undefined);
    const offA = slot.provide('a');
    const offB = slot.provide('b');
    assert.equal(slot.current(), 'a');
    offA();
    assert.equal(slot.current(), 'b', 'a redeploy: the new node takes over when the old one closes');
    offA();
    assert.equal(slot.current(), 'b', 'unproviding twice changes nothing');
    offB();
    assert.equal(slot.current(), undefined);
  });

  it('tells subscribers at once and on every change of the served service, not on others; until they unsubscribe', () => {
    const slot = new ServiceSlot<string>('test');
    const heard: (string | undefined)[] = [];
    const unsubscribe = slot.subscribe((s) => heard.push(s));
    assert.deepEqual(heard, [undefined]);
    const offA = slot.provide('a');
    const offB = slot.provide('b');
    assert.deepEqual(heard, [undefined, 'a'], 'b waits in line: the served one did not change');
    offB();
    assert.deepEqual(heard, [undefined, 'a']);
    const offC = slot.provide('c');
    offA();
    assert.deepEqual(heard, [undefined, 'a', 'c']);
    unsubscribe();
    offC();
    assert.deepEqual(heard, [undefined, 'a', 'c']);
    assert.equal(slot.current(), undefined);
  });
});
