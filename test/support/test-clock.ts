import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A test clock for an app under test: preloaded with `node --require dist/test/support/test-clock.js`,
 * it makes Date.now() read a clock the test sets by writing OCTOPUS_TEST_CLOCK_FILE (setTestClock).
 * The clock runs at real speed from the instant set, so timers and timeouts behave; only "what
 * time is it" moves, never the calendar of the machine.
 */
export function setTestClock(file: string, at: number): void {
  writeFileSync(file, `${at} ${Date.now()}`);
}

const file = process.env.OCTOPUS_TEST_CLOCK_FILE;
if (file) {
  const realNow = Date.now.bind(Date);
  let offset = 0;
  const read = () => {
    try {
      const [at, written] = readFileSync(file, 'utf8').trim().split(' ').map(Number);
      if (Number.isFinite(at) && Number.isFinite(written)) offset = at - written;
    } catch {
      // no clock set yet: real time
    }
  };
  read();
  Date.now = () => realNow() + offset;
  setInterval(read, 20).unref();
}
