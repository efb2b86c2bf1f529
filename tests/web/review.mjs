// review.mjs — the review workflow in a real browser (Debian's Chromium driven by playwright-core),
// against a running `mapforge serve --four-eyes` (tests/scripts/serve_browser.sh starts it, with the
// users rita (reviewer), alice and bob (approvers) and one open review of examples/acme_gl).
//
// Env: BASE (http://127.0.0.1:PORT), OUT (screenshots), CHROMIUM (the browser), PASSWORD.
// Each step asserts what the page shows; the first failed assertion ends the test (exit 1).
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

const base = process.env.BASE, out = process.env.OUT, pw = process.env.PASSWORD;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let step = 'start';
const shot = (page, name) => page.screenshot({ path: path.join(out, name + '.png'), fullPage: true });
const cspViolations = [];

async function signIn(user) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  await page.goto(base + '/');
  assert.match(page.url(), /\/login$/, 'an anonymous visit goes to the sign-in page');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', pw);
  await Promise.all([page.waitForURL(base + '/'), page.click('#signin')]);
  assert.equal(await page.textContent('#who'), user);
  return { context, page };
}

async function openReview(page) {
  const link = page.locator('#open-reviews a[href^="/review?id="]').first();
  await Promise.all([page.waitForURL(/\/review\?id=\d+/), link.click()]);
  return Number(new URL(page.url()).searchParams.get('id'));
}

const versionOf = async (page) => Number((await page.textContent('#version')).replace(/\D/g, ''));

try {
  // 1. A reviewer signs in, opens the example's plan, sends feedback and sees the diff.
  step = 'reviewer opens the plan';
  let { context, page } = await signIn('rita');
  await shot(page, '01-dashboard');
  const id = await openReview(page);
  const plan = await page.textContent('#plan-text');
  assert.match(plan, /^plan \S+ v\d+/m, 'the pseudocode is shown');
  assert.ok(await page.locator('#provenance tr').count() > 2, 'per-column provenance is shown');
  assert.ok(await page.locator('#profiles svg').count() > 0, 'the source columns have profile charts');
  assert.ok(await page.locator('#preview table').count() > 0, 'the before → after preview is shown');
  await shot(page, '02-plan');
  await page.screenshot({ path: path.join(out, 'plan-page.png') });   // the top of it (README)
  const v1 = await versionOf(page);

  step = 'reviewer sends feedback';
  await page.fill('#feedback', 'reject rows where Acct No is empty');
  await Promise.all([page.waitForURL(/\/review\?id=/), page.click('#feedback-send')]);
  const v2 = await versionOf(page);
  assert.equal(v2, v1 + 1, 'feedback made a new version (and did not decide anything)');
  assert.match(await page.textContent('#state'), /in_review/);
  assert.ok(await page.locator('#diff td.add').count() > 0, 'the side-by-side diff shows the added line');
  assert.match(await page.textContent('#diff'), /reject rows where/);
  assert.match(await page.textContent('#conversation'), /reject rows where Acct No is empty/);
  await shot(page, '03-feedback-diff');

  step = 'a reviewer cannot approve';
  await Promise.all([page.waitForLoadState(), page.click('#approve')]);
  assert.match(await page.textContent('#error'), /role reviewer cannot approve/);
  await page.goto(base + '/review?id=' + id);
  assert.match(await page.textContent('#state'), /in_review/, 'still in review');

  step = 'a forged POST without the CSRF token is refused';
  const forged = await page.evaluate(async (rid) => {
    const r = await fetch('/review/feedback', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'id=' + rid + '&text=' + encodeURIComponent('skip rows where Amount is empty'),
    });
    return r.status;
  }, id);
  assert.equal(forged, 403);
  await page.reload();
  assert.equal(await versionOf(page), v2, 'the forged feedback made no version');

  // 2. The browser closes; an approver resumes the review and finds the last version.
  step = 'resumed review shows the last version';
  await context.close();
  ({ context, page } = await signIn('alice'));
  await openReview(page);
  assert.equal(await versionOf(page), v2);
  assert.match(await page.textContent('#plan-text'), /reject rows where/);

  // 3. Four-eyes: alice edits the plan, so alice cannot approve it; bob can.
  step = 'four-eyes: the author cannot approve';
  await page.fill('#feedback', 'add validation for negative values on AMOUNT');
  await Promise.all([page.waitForURL(/\/review\?id=/), page.click('#feedback-send')]);
  const v3 = await versionOf(page);
  assert.equal(v3, v2 + 1);
  await Promise.all([page.waitForLoadState(), page.click('#approve')]);
  assert.match(await page.textContent('#error'), /four-eyes|four eyes|authored/i);
  await shot(page, '04-four-eyes-refused');
  await context.close();

  step = 'another approver approves and runs';
  ({ context, page } = await signIn('bob'));
  await page.goto(base + '/review?id=' + id);
  assert.equal(await versionOf(page), v3);
  await page.fill('#approve-comment', 'looks right');
  await Promise.all([page.waitForURL(/\/review\?id=/), page.click('#approve')]);
  assert.match(await page.textContent('#state'), /approved/);
  await shot(page, '05-approved');

  step = 'run with live progress';
  await Promise.all([page.waitForURL(/\/run\?/), page.click('#run')]);
  // The page follows the run's server-sent events and moves to the run's page when it ends.
  await page.waitForURL(/\/run\?id=\d+/, { timeout: 120000 });
  await shot(page, '06-run');
  const n = async (sel) => Number(await page.textContent(sel));
  const rin = await n('#rows-in'), rout = await n('#rows-out'), rrej = await n('#rows-rejected'),
    rfil = await n('#rows-filtered');
  assert.ok(rin > 0, 'rows were read');
  assert.equal(rin, rout + rrej + rfil, 'the row accounting balances on the page');
  assert.match(await page.textContent('#balanced'), /^yes/);
  assert.match(await page.textContent('#run-state'), /loaded|checked/);
  if (rrej > 0) {
    assert.match(await page.textContent('#rejects'), /line,column,reason/);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#rejects-download')]);
    assert.match(dl.suggestedFilename(), /^rejects-run-\d+\.csv$/);
  }
  await page.goto(base + '/');
  assert.match(await page.textContent('#notifications'), /finished/);
  await shot(page, '07-dashboard-after');
  await page.goto(base + '/audit?event=approval');
  assert.match(await page.textContent('#audit'), /bob/);
  await shot(page, '08-audit');
  assert.deepEqual(cspViolations, [], 'no Content-Security-Policy violation');
  await context.close();
  console.log('review.mjs: ok');
} catch (err) {
  console.error('review.mjs: FAIL at step "' + step + '": ' + (err && err.stack ? err.stack : err));
  process.exitCode = 1;
} finally {
  await browser.close();
}
