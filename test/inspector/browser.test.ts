/**
 * End to end in real headless Chromium: the Iris job trains under a monitored session with
 * injected faults while the inspector page watches it live; then the page replays the flight
 * recording. Screenshots go to test-artifacts/inspector/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildIrisModel } from '../../src/cli/iris.ts';
import { FaultPlan, faultyHook } from '../../src/testing/index.ts';
import { StopAtStepHook, monitoredTrainingSession, withSession, type Hook } from '../../src/index.ts';
import { liveInspector, type InspectorRecord } from '../../src/inspector/index.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/inspector/', import.meta.url);

/** Launches Debian's chromium, or fails saying what to install. */
async function launch(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is needed for the inspector's browser tests: apt-get install -y chromium (looked for ${CHROMIUM})`,
  );
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A hook that holds the step loop at chosen runs until released. */
class Gate implements Hook {
  readonly #at: Set<number>;
  #runs = 0;
  #release: (() => void) | undefined;
  #reached: ((run: number) => void) | undefined;
  constructor(at: number[]) {
    this.#at = new Set(at);
  }
  async afterRun(): Promise<void> {
    if (!this.#at.has(++this.#runs)) return;
    const held = new Promise<void>((resolve) => (this.#release = resolve));
    this.#reached?.(this.#runs);
    await held;
  }
  /** Resolves when the loop is held at a gate. */
  reached(): Promise<number> {
    return new Promise((resolve) => (this.#reached = resolve));
  }
  release(): void {
    this.#release?.();
  }
}

const text = (page: Page, sel: string): Promise<string> => page.locator(sel).innerText();
/** The few DOM names the page functions below use (this project's tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  body: { dataset: Record<string, string | undefined> };
};
declare const window: unknown;
const until = <A>(page: Page, fn: (arg: A) => boolean, arg: A, timeout = 10_000): Promise<unknown> =>
  page.waitForFunction(fn as never, arg, { timeout });
/** Waits until the page shows state `s`. */
const showsState = (page: Page, s: string): Promise<unknown> =>
  until(page, (want) => document.querySelector('#state')!.textContent === want, s);

describe('inspector page in Chromium', { timeout: 120_000 }, () => {
  let browser: Browser;
  let dir: string;
  before(async () => {
    browser = await launch();
    dir = await mkdtemp(path.join(tmpdir(), 'inspector-'));
    await mkdir(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('follows the Iris job live through injected recoveries to closed, and replays its recording', async () => {
    const recording = path.join(dir, 'lifecycle.jsonl');
    const inspector = liveInspector({ record: recording, print: false, sampleEveryMs: 50 });
    const url = await inspector.ready;
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);

    const model = buildIrisModel({ seed: 1, faultRate: 0 });
    const plan = new FaultPlan()
      .at('hook:flaky:afterRun', 100, { kind: 'aborted' })
      // Twice in a row: the retried run fails again, so its recovery backs off (the first is immediate).
      .at('hook:flaky:afterRun', 180, { kind: 'unavailable' })
      .at('hook:flaky:afterRun', 181, { kind: 'unavailable' });
    const gate = new Gate([40, 150, 260]);
    let held = gate.reached();
    const training = withSession(
      monitoredTrainingSession({
        graph: model.graph,
        checkpointDir: path.join(dir, 'ckpt'),
        saveCheckpointSteps: 50,
        saveSummariesSteps: 0,
        logStepCountSteps: 0,
        hooks: [new StopAtStepHook({ lastStep: 300 }), faultyHook({ afterRun() {} }, plan, 'flaky'), gate],
        recovery: { backoff: { initialMs: 20, jitter: 0 } },
        inspect: inspector,
      }),
      async (s) => {
        while (!s.shouldStop()) await s.run(model.train);
      },
    );

    // 1. Held at run 40: the page shows `running`.
    assert.equal(await held, 40);
    await showsState(page, 'running');
    await until(page, (n) => Number(document.querySelector('#step')!.textContent) >= n, 30);
    await page.screenshot({ path: new URL('1-running.png', ARTIFACTS).pathname });

    // 2. An AbortedError at run 100: the page shows the recovery, then `running` again.
    held = gate.reached();
    gate.release();
    assert.equal(await held, 150);
    await until(page, (n) => document.querySelectorAll('#recoveries tbody tr').length === n, 1);
    await showsState(page, 'running');
    const row = await text(page, '#recoveries tbody tr');
    assert.match(row, /AbortedError/);
    assert.match(row, /injected AbortedError at hook:flaky:afterRun/);
    assert.match(row, /\bhook\b/); // the error came from a hook's afterRun
    assert.match(row, /\t0 ms$/); // the first recovery after a success is immediate (backoff applies to the next ones)
    assert.equal(await text(page, '#recovery-count'), '1');
    assert.ok(
      (await page.locator('#actors tbody tr', { hasText: 'StopAtStepHook' }).count()) > 0,
      'hook actors are listed by class',
    );
    assert.ok((await page.locator('#actors tbody tr', { hasText: 'QueueRunner' }).count()) > 0, 'producers are listed');
    await page.screenshot({ path: new URL('2-recovered.png', ARTIFACTS).pathname });

    // 3. A second fault, then the last step: the page shows `closed` and why it ended.
    held = gate.reached();
    gate.release();
    await held;
    gate.release();
    await training;
    await showsState(page, 'closed');
    assert.equal(await text(page, '#recovery-count'), '3');
    assert.equal(await text(page, '#end'), 'stopRequested');
    assert.equal(await text(page, '#step'), '300');
    assert.equal(await page.locator('#chart g.node.current').getAttribute('data-state'), 'closed');
    await page.screenshot({ path: new URL('3-closed.png', ARTIFACTS).pathname });
    const liveVisited = await page.evaluate(
      () => (window as unknown as { inspectorPage: { visited: string[] } }).inspectorPage.visited,
    );
    await inspector.close();

    // 4. Replay: the recording walks the same states, and the chart follows the slider.
    const lines = (await readFile(recording, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as InspectorRecord & { type: string });
    assert.equal(lines[0]!.type, 'meta');
    const recordedStates: string[] = [];
    for (const r of lines)
      if (r.kind === 'root' && r.type === '@xstate.snapshot' && recordedStates.at(-1) !== r.state)
        recordedStates.push(r.state!);
    const replay = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    replay.on('pageerror', (e) => errors.push(e.message));
    // The live server is closed now: replay from a page served by a fresh inspector, as a user would.
    const viewer = liveInspector({ print: false });
    await replay.goto(await viewer.ready);
    await replay.setInputFiles('#file', recording);
    await until(replay, (m) => document.body.dataset['mode'] === m, 'replay');
    const replayed = await replay.evaluate(() => {
      const p = (window as unknown as { inspectorPage: { recordCount: number; seek(i: number): void; state: string } })
        .inspectorPage;
      const out: string[] = [];
      for (let i = 0; i < p.recordCount; i++) {
        p.seek(i);
        if (p.state && out.at(-1) !== p.state) out.push(p.state);
      }
      return out;
    });
    assert.deepEqual(replayed, recordedStates);
    assert.deepEqual(
      [...new Set(replayed)].sort(),
      [...liveVisited].sort(),
      'the replay reaches the states the live page saw',
    );
    for (const s of ['running', 'recovering.closingSession', 'recovering.backingOff', 'stopping.endingHooks', 'closed'])
      assert.ok(replayed.includes(s), s);
    // Drag the slider to where the first recovery starts: the chart highlights that state.
    const first = lines.findIndex((r) => r.kind === 'root' && r.state === 'recovering.closingSession') - 1;
    await replay.locator('#slider').fill(String(first));
    await showsState(replay, 'recovering.closingSession');
    assert.equal(await replay.locator('#chart g.node.current').getAttribute('data-state'), 'recovering.closingSession');
    await replay.screenshot({ path: new URL('4-replay.png', ARTIFACTS).pathname });
    await viewer.close();
    assert.deepEqual(errors, []);
  });

  it('gives a page of another origin nothing', async () => {
    const inspector = liveInspector({ print: false });
    const url = await inspector.ready;
    const target = new URL(url);
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><script>
        window.results = {};
        fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => (results.fetch = 'read ' + t.length), (e) => (results.fetch = 'refused'));
        fetch(${JSON.stringify(url + 'events')}, { mode: 'no-cors' }).then((r) => (results.noCors = r.type + ' ' + r.status), () => (results.noCors = 'refused'));
        const es = new EventSource(${JSON.stringify(url + 'events')});
        es.onmessage = es.addEventListener('hello', () => (results.sse = 'got data'));
        es.onerror = () => { results.sse ??= 'refused'; es.close(); };
        const ws = new WebSocket(${JSON.stringify(url.replace('http:', 'ws:') + 'stately')});
        ws.onmessage = () => (results.ws = 'got data');
        ws.onerror = () => (results.ws ??= 'refused');
      </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilPort = (evil.address() as { port: number }).port;
    const page = await browser.newPage();
    const statuses: number[] = [];
    page.on('response', (res) => {
      if (new URL(res.url()).port === target.port) statuses.push(res.status());
    });
    await page.goto(`http://127.0.0.1:${evilPort}/`);
    await until(
      page,
      (keys) => keys.every((k) => (window as unknown as { results: Record<string, string> }).results[k] !== undefined),
      ['fetch', 'noCors', 'sse', 'ws'],
    );
    const results = await page.evaluate(() => (window as unknown as { results: Record<string, string> }).results);
    assert.equal(results['fetch'], 'refused');
    assert.equal(results['sse'], 'refused');
    assert.equal(results['ws'], 'refused');
    assert.ok(
      statuses.every((s) => s === 403),
      `every answer to the other origin is 403: ${statuses.join(', ')}`,
    );
    // And a page with the wrong token on the inspector's own origin gets an empty 404.
    // (Chromium renders an empty error response as a failed navigation: nothing to show.)
    const blank = await browser.newPage();
    await assert.rejects(
      blank.goto(`http://127.0.0.1:${target.port}/${'a'.repeat(32)}/`),
      /ERR_HTTP_RESPONSE_CODE_FAILURE/,
    );
    await blank.close();
    evil.close();
    await inspector.close();
  });
});
