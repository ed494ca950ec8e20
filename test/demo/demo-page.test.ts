import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  alive,
  collect,
  exitOf,
  spawnDemo,
  startedFrom,
  waitForOutput,
  type Output,
} from './demo-process.js';

// The demo's channel page in a real browser: Debian's Chromium, driven by playwright-core, which
// downloads no browser of its own.

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = 'test/artifacts/demo-report.png';
const haveChromium = existsSync(CHROMIUM);
const title = haveChromium
  ? 'the demo channel page in Chromium'
  : `the demo channel page in Chromium: SKIPPED, ${CHROMIUM} is missing (Debian's chromium package; .ci/run installs it where apt can)`;

let demo: ChildProcess;
let out: Output;
let url: string;
let profile: string;
let browser: BrowserContext;
let page: Page;

(haveChromium ? describe : describe.skip)(title, () => {
  beforeAll(async () => {
    demo = spawnDemo(['--port', '0']);
    out = collect(demo);
    url = (await waitForOutput(demo, out, /The channel is at (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    profile = mkdtempSync(join(tmpdir(), 'rd-demo-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (demo) {
      demo.kill('SIGINT');
      await exitOf(demo);
      const started = startedFrom(out.stderr);
      expect(alive(started.servePid)).toBe(false);
      expect(existsSync(started.dir)).toBe(false);
    }
  }, 60_000);

  const report = () =>
    page.locator('article.message', { has: page.locator('[data-action="approve_patch"]') });

  it("takes /rancher diagnose, shows the report with its buttons, and records an approver's click", async () => {
    await page.goto(url);
    await page.locator('.connection.live').waitFor();
    await page.fill('#command', '/rancher diagnose --watch 5s');
    await page.press('#command', 'Enter');

    // The answer to the command, to alice alone; then the job's message, updated to the report.
    await page.getByText('Only visible to you').first().waitFor({ timeout: 20_000 });
    await report().waitFor({ timeout: 90_000 });
    const buttons = await report().locator('.bk-actions button').allTextContents();
    expect(buttons).toEqual(expect.arrayContaining(['Approve patch', 'Approve drain and remove', 'Dismiss']));
    expect(await report().locator('.bk-section').first().textContent()).toMatch(
      /rewritten [\d,.]+ times a minute/,
    );
    expect(await report().textContent()).toContain('machine-h46dc');
    // The message's own link comes first; each reply in its thread has one too.
    expect(await report().locator('.copy-json').first().textContent()).toBe('copy as Block Kit JSON');
    // Slack's dates are shown in the reader's time zone, not as their fallback text.
    const date = await page.evaluate("window.mrkdwn('<!date^1700000000^{date_num} {time}|fallback>', {})");
    expect(date).toMatch(/<time [^>]*>2023-11-1[45] \d/);
    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Someone who is not an approver: the confirm dialog, then a refusal only they see.
    await page.selectOption('#user', 'U0MALLORY');
    await report().locator('[data-action="approve_patch"]').click();
    await page.locator('#dialog:not([hidden])').waitFor();
    expect(await page.locator('#dialog-title').textContent()).not.toBe('');
    await page.click('#dialog-confirm');
    // Their refusal, beside alice's answer to her command.
    await page.locator('article.ephemeral').nth(1).waitFor({ timeout: 20_000 });
    expect(await report().count()).toBe(1);

    // The approver: the decision takes the buttons' place, and is recorded in the thread.
    await page.selectOption('#user', 'U0ALICE');
    await report().locator('[data-action="approve_patch"]').click();
    await page.locator('#dialog:not([hidden])').waitFor();
    await page.click('#dialog-confirm');
    await page.locator('[data-action="approve_patch"]').waitFor({ state: 'detached', timeout: 20_000 });
    const decided = page.locator('article.message', { has: page.locator('.thread') }).first();
    expect(await decided.locator('.content').first().textContent()).toMatch(/approved/i);
    // The patch is applied on the stand-in, the loop measured again: the thread says it stopped,
    // the headline says fixed, no fix is offered any more, and the node shows no longer looping.
    await decided
      .locator('.thread')
      .getByText('Loop stopped', { exact: false })
      .first()
      .waitFor({ timeout: 60_000 });
    expect(await decided.locator('.thread').textContent()).toMatch(/applied at/);
    expect(await decided.locator('.content').first().textContent()).toContain('— fixed');
    expect(await decided.locator('[data-action^="approve_"]').count()).toBe(0);
    await page
      .locator('#nodes li', { hasText: 'c-dql6k/machine-h46dc' })
      .getByText('loop stopped', { exact: false })
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-fixed.png') });
  }, 150_000);
});
