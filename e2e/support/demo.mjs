// Signing in as the demo's people and reading pages the way the journeys do: the current code
// of a demo account from /demo, sign-in with or without it, status messages and table rows.

import assert from 'node:assert/strict';

import { navigate, visit } from './browser.mjs';
import { button, field, path, trimmed } from './journey.mjs';
import { STEP_SECONDS, timeStep, waitForStepAfter } from './totp.mjs';

/** The password of every demo account. */
export const DEMO_PASSWORD = 'demo-sensate-2026';

/**
 * Reads the code valid now for a demo account from the /demo page (visited, so checked too).
 * A code read in the last seconds of its step may have expired by the time it is typed, so
 * then it waits for the next step first.
 */
export async function demoCode(page, baseUrl, email) {
  if (Date.now() / 1000 - timeStep() * STEP_SECONDS > STEP_SECONDS - 5) await waitForStepAfter(timeStep());
  await visit(page, `${baseUrl}/demo`);
  const row = page.getByRole('row').filter({ has: page.locator('td:first-child code', { hasText: email }) });
  assert.equal(await row.count(), 1, `one row on /demo for ${email}`);
  const code = (await row.locator('td:nth-child(2) code').textContent()).trim();
  assert.match(code, /^\d{6}$/, `the code shown for ${email}`);
  return code;
}

/** Signs in at /sign-in (with a code from /demo when the role needs one); lands on /dashboard. */
export async function signIn(page, baseUrl, email, password, { withCode = false } = {}) {
  const code = withCode ? await demoCode(page, baseUrl, email) : undefined;
  await visit(page, `${baseUrl}/sign-in`);
  await field(page, 'E-mail address').fill(email);
  await field(page, 'Password').fill(password);
  await navigate(page, () => button(page, 'Sign in').click());
  if (withCode) {
    assert.equal(path(page), '/sign-in/two-factor');
    await field(page, 'Code').fill(code);
    await navigate(page, () => button(page, 'Continue').click());
  }
  assert.equal(path(page), '/dashboard', `${email} lands on the dashboard`);
}

/** Waits for the page's "status" message containing `text`. */
export async function expectStatus(page, text) {
  await page.getByRole('status').filter({ hasText: text }).first().waitFor();
}

/** The rows of a table region, each as an array of trimmed cell texts. */
export async function tableRows(region) {
  const rows = region.getByRole('row').filter({ has: region.page().getByRole('cell') });
  const result = [];
  for (const row of await rows.all()) result.push(trimmed(await row.getByRole('cell').allTextContents()));
  return result;
}
