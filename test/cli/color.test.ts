import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { colorEnabled, palette } from '../../src/cli/color.ts';

describe('CLI colour', () => {
  const tty = { isTTY: true };
  it('is on for a terminal, off for a pipe', () => {
    assert.equal(colorEnabled(tty, {}), true);
    assert.equal(colorEnabled({ isTTY: false }, {}), false);
    assert.equal(colorEnabled({}, {}), false);
  });

  it('a non-empty NO_COLOR turns it off; an empty one does not (no-color.org)', () => {
    assert.equal(colorEnabled(tty, { NO_COLOR: '1' }), false);
    assert.equal(colorEnabled(tty, { NO_COLOR: 'false' }), false);
    assert.equal(colorEnabled(tty, { NO_COLOR: '' }), true);
  });

  it('the palette wraps text in ANSI codes only when enabled', () => {
    assert.equal(palette(true).green('ok'), '\x1b[32mok\x1b[0m');
    assert.equal(palette(false).green('ok'), 'ok');
  });
});
