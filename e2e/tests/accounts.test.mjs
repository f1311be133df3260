// A person's first visit, end to end, in a real browser against the real server, once on
// each database engine: sign up (with a mistake first), confirm the address from the e-mail,
// sign in, turn on two-factor sign-in, sign out, a wrong password, sign in again with a code and
// see the failed attempts; and a visitor who is not signed in is refused. Every page visited is checked with axe.
//
// Needs SENSATE_BIN (the built server) and, for the PostgreSQL run, SENSATE_TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432/postgres). `scripts/test` provides both.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';

import { navigate, newContext, visit } from '../support/browser.mjs';
import {
  assertDescribedBy,
  button,
  expectHeading,
  field,
  forEachEngine,
  path,
  useBrowser,
} from '../support/journey.mjs';
import { extractLink, startServer, waitForMail } from '../support/server.mjs';
import { STEP_SECONDS, timeStep, totp, waitForStepAfter } from '../support/totp.mjs';

const NAME = 'Dana Reyes';
const PASSWORD = 'correct horse battery staple';

const getBrowser = useBrowser();

/** A code that is not valid now (nor in the neighbouring steps a server may accept). */
function wrongCode(secret) {
  const now = Date.now();
  const valid = new Set([-1, 0, 1].map((k) => totp(secret, { nowMs: now + k * STEP_SECONDS * 1000 })));
  return ['000000', '999999', '123456'].find((code) => !valid.has(code));
}

forEachEngine('accounts', (engine, journey) => {
  let server;
  let context;
  let page;
  const email = `dana-${randomBytes(5).toString('hex')}@example.org`;
  let totpSecret;
  let enrolmentStep;
  let recoveryCodes;

  before(async () => {
    server = await startServer({ engine });
    context = await newContext(getBrowser());
    page = await context.newPage();
    journey.server = server;
    journey.activePage = page;
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

    journey.step('the home page links to sign-up', async () => {
    await visit(page, `${server.baseUrl}/`);
    const link = page.getByRole('link', { name: 'Create an account' });
    await navigate(page, () => link.click());
    assert.equal(path(page), '/sign-up');
  });

  journey.step('sign-up refuses an invalid e-mail address and keeps what was typed', async () => {
    await field(page, 'Your name').fill(NAME);
    await field(page, 'E-mail address').fill('dana@example');
    await field(page, 'Password').fill(PASSWORD);
    await field(page, 'Repeat password').fill(PASSWORD);
    await navigate(page, () => page.getByRole('button', { name: 'Create account', exact: true }).click(), { status: 422 });

    const error = page.locator('#email-error');
    await error.waitFor({ state: 'visible' });
    assert.notEqual((await error.textContent()).trim(), '', 'the e-mail error says what is wrong');
    await assertDescribedBy(field(page, 'E-mail address'), 'email-error');
    assert.equal(await field(page, 'Your name').inputValue(), NAME);
    assert.equal(await field(page, 'E-mail address').inputValue(), 'dana@example');
    // Passwords are never sent back to the browser.
    assert.equal(await field(page, 'Password').inputValue(), '');
    assert.equal(await field(page, 'Repeat password').inputValue(), '');
  });

  journey.step('sign-up with a valid form asks to check the inbox', async () => {
    await field(page, 'E-mail address').fill(email);
    await field(page, 'Password').fill(PASSWORD);
    await field(page, 'Repeat password').fill(PASSWORD);
    await navigate(page, () => page.getByRole('button', { name: 'Create account', exact: true }).click());
    await expectHeading(page, 'Check your inbox');
  });

  journey.step('the link in the e-mail confirms the address', async () => {
    const mail = await waitForMail(server.dataDir, { to: email, subjectIncludes: 'Confirm your e-mail address' }, 30_000);
    const link = extractLink(mail.text, '/verify-email/');
    assert.ok(link, `no /verify-email/ link in the message:\n${mail.text}`);
    assert.ok(link.startsWith(`${server.baseUrl}/verify-email/`), `the link ${link} should use SENSATE_PUBLIC_URL`);
    await visit(page, link);
    await expectHeading(page, 'E-mail address confirmed');
  });

  journey.step('signing in lands on the dashboard', async () => {
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(email);
    await field(page, 'Password').fill(PASSWORD);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    assert.equal(path(page), '/dashboard');
    await expectHeading(page, /Welcome/);
  });

  journey.step('two-factor sign-in can be turned on, giving 10 recovery codes', async () => {
    await visit(page, `${server.baseUrl}/account/security`);
    await navigate(page, () => page.getByRole('link', { name: 'Set up two-factor sign-in' }).click());
    assert.equal(path(page), '/account/two-factor/setup');

    totpSecret = (await page.locator('#totp-secret').textContent()).replace(/[\s-]/g, '');
    assert.match(totpSecret, /^[A-Z2-7]{16,}=*$/i, 'the secret is shown in base32');
    // A code typed in the last seconds of its step may arrive after the step ended.
    if (Date.now() / 1000 - timeStep() * STEP_SECONDS > STEP_SECONDS - 3) await waitForStepAfter(timeStep());
    enrolmentStep = timeStep();
    await field(page, 'Code').fill(totp(totpSecret));
    await navigate(page, () => page.getByRole('button', { name: 'Turn on two-factor sign-in', exact: true }).click());

    await expectHeading(page, 'Save your recovery codes');
    const codes = (await page.locator('.code-list li').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10, `expected 10 recovery codes, got ${JSON.stringify(codes)}`);
    assert.ok(codes.every((c) => c.length >= 8), 'recovery codes are not empty or short');
    assert.equal(new Set(codes).size, 10, 'recovery codes are all different');
    recoveryCodes = codes;
  });

  journey.step('reloading the recovery-codes page does not replace the codes', async () => {
    assert.equal(path(page), '/account/two-factor/recovery-codes', 'the form redirected to the page that shows them');
    await navigate(page, () => page.reload());
    await expectHeading(page, 'Your recovery codes were shown');
    assert.equal(await page.locator('.code-list li').count(), 0, 'no codes on a reload');
    await page.getByText('your codes are unchanged').waitFor();
  });

  journey.step('signing out returns to the home page and ends the session', async () => {
    const signOut = page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true });
    await navigate(page, () => signOut.click());
    assert.equal(path(page), '/');
    await visit(page, `${server.baseUrl}/dashboard`);
    assert.equal(path(page), '/sign-in', 'the dashboard is not shown after signing out');
  });

  journey.step('a wrong password is refused and counted for the owner to see', async () => {
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(email);
    await field(page, 'Password').fill('not my password at all');
    await navigate(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click(), { status: 422 });
    await page.getByText('E-mail address or password is incorrect.').waitFor();
  });

  journey.step('signing in again asks for a code, refuses a wrong one, accepts the right one', async () => {
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(email);
    await field(page, 'Password').fill(PASSWORD);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    assert.equal(path(page), '/sign-in/two-factor');

    // Enter submits the form the field is in, whatever its button is called.
    await field(page, 'Code').fill(wrongCode(totpSecret));
    await navigate(page, () => field(page, 'Code').press('Enter'), { status: 422 });
    await page.locator('#code-error').waitFor({ state: 'visible' });
    await assertDescribedBy(field(page, 'Code'), 'code-error');

    // Codes are single-use: the enrolment code's step cannot be used again.
    if (timeStep() <= enrolmentStep) await waitForStepAfter(enrolmentStep);
    await field(page, 'Code').fill(totp(totpSecret));
    await navigate(page, () => field(page, 'Code').press('Enter'));
    assert.equal(path(page), '/dashboard');
    await expectHeading(page, /Welcome/);
  });

  // The owner is told of the attempts that failed since the previous sign-in (OWASP's
  // device-cookie scheme keeps this browser's own allowance, so they could not lock it out).
  journey.step('after signing in, the failed attempts are shown with their times', async () => {
    await page.getByRole('status').filter({ hasText: '2 failed sign-in attempts since your last sign-in.' }).waitFor();
    await navigate(page, () => page.getByRole('link', { name: 'See when and from where' }).click());
    assert.equal(path(page), '/account/security');
    const table = page.getByRole('region', { name: 'Table of failed sign-in attempts' });
    const cells = (await table.getByRole('cell').allTextContents()).map((text) => text.trim());
    assert.ok(cells.includes('Wrong password or passkey'), `the wrong password is listed: ${cells}`);
    assert.ok(cells.includes('Wrong code after the right password'), `the wrong code is listed: ${cells}`);
  });

  journey.step('a recovery code saved before the reload still signs in', async () => {
    const signOut = page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true });
    await navigate(page, () => signOut.click());
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(email);
    await field(page, 'Password').fill(PASSWORD);
    await navigate(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    await field(page, 'Code').fill(recoveryCodes[0]);
    await navigate(page, () => field(page, 'Code').press('Enter'));
    assert.equal(path(page), '/dashboard', 'the first code shown is still valid');
  });

  journey.step('a visitor who is not signed in is refused private pages and the API', async () => {
    const anonymous = await newContext(getBrowser());
    try {
      const anonymousPage = await anonymous.newPage();
      journey.activePage = anonymousPage;
      await visit(anonymousPage, `${server.baseUrl}/account/security`);
      const landed = new URL(anonymousPage.url());
      assert.equal(landed.pathname, '/sign-in');
      assert.equal(landed.searchParams.get('next'), '/account/security', 'sign-in remembers where to go next');

      const response = await fetch(`${server.baseUrl}/api/v1/me`, { headers: { accept: 'application/json' } });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('content-type') ?? '', /^application\/(problem\+)?json/);
      const body = await response.json();
      assert.equal(typeof body.error, 'string', `a JSON error, got ${JSON.stringify(body)}`);
      assert.notEqual(body.error, '');
    } finally {
      journey.activePage = page;
      await anonymous.close();
    }
  });
});
