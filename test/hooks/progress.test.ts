import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MonitoredSession, ProgressHook, TestClock, logger, setLogger, withSession } from '../../src/index.ts';
import { fitProgressLine } from '../../src/hooks/progressLine.ts';
import { gstepGraph } from '../helpers/tf.ts';

/**
 * A terminal of `columns` that understands what the hook writes (`\r`, erase line, `\n`) and
 * wraps lines that reach the last column, as terminals do. `screen()` is what a user sees.
 */
function terminal(columns: number) {
  const rows: string[] = [''];
  let col = 0;
  let wraps = 0;
  const put = (ch: string) => {
    const row = rows.length - 1;
    rows[row] = rows[row]!.padEnd(col, ' ').slice(0, col) + ch + rows[row]!.slice(col + 1);
    col++;
    if (col >= columns) {
      // The cursor sits past the last column: the next character starts a new row.
      wraps++;
      rows.push('');
      col = 0;
    }
  };
  return {
    isTTY: true,
    columns,
    get wraps() {
      return wraps;
    },
    write(text: string) {
      for (let i = 0; i < text.length; i++) {
        if (text.startsWith('\x1b[2K', i)) {
          rows[rows.length - 1] = '';
          i += 3;
        } else if (text[i] === '\r') col = 0;
        else if (text[i] === '\n') {
          rows.push('');
          col = 0;
        } else put(text[i]!);
      }
      return true;
    },
    screen: () => rows.filter((r, i) => r !== '' || i < rows.length - 1),
  };
}

async function train(stream: ReturnType<typeof terminal>, steps: number, during?: (i: number) => void) {
  const clock = new TestClock();
  const { graph, gstep, doStep } = gstepGraph();
  const hook = new ProgressHook({ lastStep: steps, tensors: { loss: gstep, accuracy: gstep }, stream, clock, everyNSecs: 0 });
  await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
    for (let i = 0; i < steps; i++) {
      await clock.advance(250);
      await s.run(doStep);
      during?.(i);
    }
  });
  return hook;
}

describe('ProgressHook on a terminal', () => {
  it('fits a 60-column terminal: every redraw stays on one line, no wrapping', async () => {
    const tty = terminal(60);
    await train(tty, 12);
    assert.equal(tty.wraps, 0);
    const screen = tty.screen();
    assert.equal(screen.length, 1, screen.join('\n'));
    assert.ok(screen[0]!.length < 60);
    assert.match(screen[0]!, /100%  step 12\/12/);
  });

  it('log lines land above the bar, never inside it', async () => {
    const tty = terminal(100);
    const previous = setLogger({
      debug() {},
      info() {},
      warn: (m: string) => void tty.write(`WARN ${m}\n`),
      error() {},
    });
    try {
      await train(tty, 6, (i) => {
        if (i === 2 || i === 4) logger.warn(`checkpoint ${i} is slow`);
      });
    } finally {
      setLogger(previous);
    }
    const screen = tty.screen();
    assert.deepEqual(screen.slice(0, 2), ['WARN checkpoint 2 is slow', 'WARN checkpoint 4 is slow']);
    assert.equal(screen.length, 3, screen.join('\n'));
    assert.match(screen[2]!, /^\[#+\] 100%  step 6\/6/);
  });

  it('gives the logger back at the end', async () => {
    const mine = { debug() {}, info() {}, warn() {}, error() {} };
    const previous = setLogger(mine);
    try {
      await train(terminal(80), 2);
      assert.equal(setLogger(mine), mine);
    } finally {
      setLogger(previous);
    }
  });

  it('printAbove writes whole lines above the bar', async () => {
    const tty = terminal(80);
    const clock = new TestClock();
    const { graph, doStep } = gstepGraph();
    const hook = new ProgressHook({ lastStep: 3, stream: tty, clock, everyNSecs: 0 });
    await withSession(MonitoredSession.create({ graph, hooks: [hook] }), async (s) => {
      for (let i = 0; i < 3; i++) {
        await clock.advance(250);
        await s.run(doStep);
        if (i === 1) hook.printAbove('saved a model');
      }
    });
    assert.equal(tty.screen()[0], 'saved a model');
    assert.equal(tty.screen().length, 2);
    assert.match(tty.screen()[1]!, /100%  step 3\/3/);
  });

  it('fitProgressLine: never reaches the last column, at any width', () => {
    const parts = ['step 123456/1000000', '12345.6 steps/s', 'ETA 1h02m', 'loss 1.2345', 'accuracy 0.9876'];
    for (let columns = 1; columns <= 200; columns++) {
      for (const fraction of [undefined, 0, 0.5, 1]) {
        const line = fitProgressLine(parts, fraction, columns);
        assert.ok(line.length <= Math.max(1, columns - 1), `${columns}: ${line}`);
      }
    }
    assert.match(fitProgressLine(parts, 0.5, 200), /^\[#{20}-{20}\]  50%  step/);
  });
});
