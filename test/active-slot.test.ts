import assert from 'node:assert/strict';
import { activeSlot } from '../lib/util/active-slot';

describe('activeSlot', () => {
  it('serves the first instance still running, and nothing once all are gone', () => {
    const slot = activeSlot<string>();
    assert.equal(slot.current(), undefined);
    const offA = slot.activate('a');
    const offB = slot.activate('b');
    assert.equal(slot.current(), 'a');
    offA();
    assert.equal(slot.current(), 'b', 'a redeploy: the new node takes over when the old one closes');
    offA();
    assert.equal(slot.current(), 'b', 'unregistering twice changes nothing');
    offB();
    assert.equal(slot.current(), undefined);
  });
});
