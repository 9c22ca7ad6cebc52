// Drives the operations console in headless Chromium (Playwright, Debian's /usr/bin/chromium) as
// two people would, for crates/giro-e2e/tests/console_browser.rs:
//   1. olga (operator) signs in, filters the exceptions to unknown outcomes, opens the payout
//      stuck there, resolves it with the provider's evidence and watches the exception go;
//   2. carla (approver) signs in, filters the payouts to those waiting for approval, opens the
//      one there and approves it.
// Olga signs out at the end of hers, and the console asks for a token again.
// Usage: node check.mjs '<json>' with {base, operator_token, approver_token, unknown, pending,
// screenshots?, chromium?}. Prints one JSON object of what it saw; exits 1 with the step and the
// page's text when a step fails.
import { chromium } from 'playwright-core';

const cfg = JSON.parse(process.argv[2] ?? '{}');
for (const field of ['base', 'operator_token', 'approver_token', 'unknown', 'pending']) {
  if (!cfg[field]) {
    console.error(`missing ${field} in the argument`);
    process.exit(2);
  }
}
const WAIT_MS = 20_000;
const seen = { steps: [] };
let step = 'starting';

function expect(what, ok, detail) {
  if (!ok) throw new Error(`${what}: ${detail}`);
}

async function shot(page, name) {
  if (cfg.screenshots) await page.screenshot({ path: `${cfg.screenshots}/${name}.png`, fullPage: true });
}

// Reloads `url` until `ready(page)` holds: the projection applies events a moment after intake
// answers.
async function until(page, url, ready, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    await page.goto(url);
    if (await ready(page)) return;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${WAIT_MS} ms`);
    await page.waitForTimeout(250);
  }
}

async function signIn(browser, token, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  step = `${who}: an unsigned visit asks to sign in`;
  const first = await page.goto(`${cfg.base}/exceptions`);
  expect(step, first.status() === 401, `status ${first.status()}`);
  expect(step, await page.locator('input[name=token]').count() === 1, 'no token field');
  step = `${who}: signs in`;
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  const status = await page.goto(`${cfg.base}/exceptions`);
  expect(step, status.status() === 200, `status ${status.status()} after signing in`);
  const nav = await page.locator('#signed-in').innerText();
  expect(step, nav.includes(`Signed in as ${who} (`), `the navigation says "${nav}"`);
  seen.steps.push(step);
  return { context, page };
}

async function resolveUnknown(browser) {
  const { context, page } = await signIn(browser, cfg.operator_token, 'olga');
  step = 'olga: filters the exceptions to unknown outcomes';
  await page.click('#kind-outcome_unknown');
  await page.waitForURL(/kind=outcome_unknown/);
  const row = page.locator(`tr.exception[data-order="${cfg.unknown}"][data-kind="outcome_unknown"]`);
  expect(step, await row.count() === 1, `payout ${cfg.unknown} not listed`);
  const rows = await page.locator('tr.exception').evaluateAll((rs) => rs.map((r) => r.dataset.kind));
  expect(step, rows.every((k) => k === 'outcome_unknown'), `other kinds listed: ${rows}`);
  seen.unknown_listed = rows.length;
  await shot(page, 'exceptions-outcome-unknown');
  seen.steps.push(step);

  step = 'olga: opens the payout stuck in an unknown outcome';
  await row.locator(`a[href="/payouts/${cfg.unknown}"]`).click();
  await page.waitForURL(new RegExp(`/payouts/${cfg.unknown}`));
  seen.unknown_status_before = await page.locator('#status').innerText();
  expect(step, await page.locator('#action-resolve').count() === 1, 'no resolve form');
  seen.steps.push(step);

  step = 'olga: resolves it with the provider\'s evidence';
  const form = page.locator('#action-resolve');
  await form.locator('input[name=provider_ref]').fill(cfg.provider_ref ?? 'CASHY-BROWSER-1');
  await form.locator('input[name=provider_status]').fill(cfg.provider_status ?? 'SUCCESS');
  await form.locator('select[name=outcome]').selectOption('succeeded');
  await form.locator('input[name=reason]').fill('the merchant portal shows it paid');
  await Promise.all([page.waitForURL(/done=resolve|refused=/), form.locator('button').click()]);
  const done = page.locator('#action-done');
  expect(step, await done.count() === 1, await page.locator('body').innerText());
  seen.resolve_flash = await done.innerText();
  seen.steps.push(step);

  step = 'olga: sees the payout succeeded and the exception gone';
  await until(page, `${cfg.base}/payouts/${cfg.unknown}`,
    async (p) => (await p.locator('#status').innerText()) === 'succeeded', 'status succeeded');
  seen.unknown_status_after = 'succeeded';
  await shot(page, 'payout-resolved');
  await until(page, `${cfg.base}/exceptions?kind=outcome_unknown`,
    async (p) => (await p.locator(`tr.exception[data-order="${cfg.unknown}"]`).count()) === 0,
    'the exception closed');
  await page.goto(`${cfg.base}/exceptions?state=resolved`);
  const closed = page.locator(`tr.exception[data-order="${cfg.unknown}"][data-kind="outcome_unknown"]`);
  expect(step, await closed.count() === 1, 'not listed among the resolved');
  seen.resolved_row = (await closed.innerText()).replace(/\s+/g, ' ').trim();
  await shot(page, 'exceptions-resolved');
  seen.steps.push(step);

  step = 'olga: signs out, and the console asks for a token again';
  await page.goto(`${cfg.base}/login`);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/logout')),
    page.click('#sign-out button'),
  ]);
  await page.waitForLoadState('load');
  const after = await page.goto(`${cfg.base}/exceptions`);
  expect(step, after.status() === 401, `status ${after.status()} after signing out`);
  seen.steps.push(step);
  await context.close();
}

async function approvePending(browser) {
  const { context, page } = await signIn(browser, cfg.approver_token, 'carla');
  step = 'carla: filters the payouts to those waiting for approval';
  await page.goto(`${cfg.base}/payouts`);
  await page.selectOption('#filter-status', 'pending_approval');
  await Promise.all([page.waitForURL(/status=pending_approval/), page.click('#filter-apply')]);
  const link = page.locator(`#rows a[href="/payouts/${cfg.pending}"]`);
  expect(step, await link.count() === 1, `payout ${cfg.pending} not listed`);
  seen.pending_listed = Number(await page.locator('#rows').getAttribute('data-count'));
  await shot(page, 'payouts-pending-approval');
  seen.steps.push(step);

  step = 'carla: opens it and approves';
  await link.click();
  await page.waitForURL(new RegExp(`/payouts/${cfg.pending}`));
  expect(step, (await page.locator('#status').innerText()) === 'pending_approval', 'not pending');
  const form = page.locator('#action-approve');
  await form.locator('input[name=reason]').fill('invoice checked');
  await Promise.all([page.waitForURL(/done=approve|refused=/), form.locator('button').click()]);
  const done = page.locator('#action-done');
  expect(step, await done.count() === 1, await page.locator('body').innerText());
  seen.approve_flash = await done.innerText();
  seen.steps.push(step);

  step = 'carla: sees it paid';
  await until(page, `${cfg.base}/payouts/${cfg.pending}`,
    async (p) => (await p.locator('#status').innerText()) === 'succeeded', 'status succeeded');
  seen.pending_status_after = 'succeeded';
  await shot(page, 'payout-approved');
  seen.steps.push(step);
  await context.close();
}

const browser = await chromium.launch({
  executablePath: cfg.chromium ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = null;
try {
  seen.browser = browser.version();
  await resolveUnknown(browser);
  await approvePending(browser);
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
if (failed) {
  console.error(`failed at "${step}": ${failed.message}`);
  console.error(JSON.stringify(seen));
  process.exit(1);
}
console.log(JSON.stringify(seen));
