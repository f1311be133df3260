// A person's first visit, end to end, in a real browser against the real server, once on
// each database engine: sign up (with a mistake first), confirm the address from the e-mail,
// sign in, turn on two-factor sign-in, sign out, sign in again with a code; and a visitor
// who is not signed in is refused. Every page visited is checked with axe.
//
// Needs SENSATE_BIN (the built server) and, for the PostgreSQL run, SENSATE_TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432/postgres). `scripts/test` provides both.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, test } from 'node:test';

import {
  launchBrowser,
  navigate,
  newContext,
  printVisitedPages,
  saveScreenshot,
  visit,
} from '../support/browser.mjs';
import { extractLink, sensateBin, skipPostgres, startServer, waitForMail } from '../support/server.mjs';
import { STEP_SECONDS, timeStep, totp, waitForStepAfter } from '../support/totp.mjs';

const ENGINES = ['sqlite', 'postgres'];
const NAME = 'Dana Reyes';
const PASSWORD = 'correct horse battery staple';
const SERVER_LOG_LINES_ON_FAILURE = 300;

// Fails the file with a clear message (rather than a hook error) when the binary is missing.
test('SENSATE_BIN points at the built sensate binary', () => {
  sensateBin();
});

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  printVisitedPages();
});

const path = (page) => new URL(page.url()).pathname;
const field = (page, label) => page.getByLabel(label, { exact: true });

/** Asserts that an input points at its error message, so a screen reader announces it. */
async function assertDescribedBy(input, errorId) {
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  assert.ok(
    describedBy.split(/\s+/).includes(errorId),
    `the field's aria-describedby (${JSON.stringify(describedBy)}) should include ${errorId}`,
  );
  assert.equal(await input.getAttribute('aria-invalid'), 'true', 'the field should have aria-invalid="true"');
}

/** Waits for a heading; on failure names the headings the page does have. */
async function expectHeading(page, name) {
  try {
    await page.getByRole('heading', { name }).first().waitFor({ timeout: 10_000 });
  } catch (error) {
    const headings = await page.getByRole('heading').allTextContents().catch(() => []);
    throw new Error(
      `expected a heading ${name} on ${page.url()}; the page's headings: ${JSON.stringify(headings.map((h) => h.trim()))}`,
      { cause: error },
    );
  }
}

/** A code that is not valid now (nor in the neighbouring steps a server may accept). */
function wrongCode(secret) {
  const now = Date.now();
  const valid = new Set([-1, 0, 1].map((k) => totp(secret, { nowMs: now + k * STEP_SECONDS * 1000 })));
  return ['000000', '999999', '123456'].find((code) => !valid.has(code));
}

for (const engine of ENGINES) {
  const skip = engine === 'postgres' && skipPostgres();
  if (skip) {
    console.error('!!! SKIPPED the PostgreSQL browser tests (SENSATE_TEST_SKIP_POSTGRES=1) !!!');
  }

  describe(engine, { skip: skip && 'SENSATE_TEST_SKIP_POSTGRES=1', timeout: 10 * 60_000 }, () => {
    let server;
    let context;
    let page;
    let activePage; // the page a failure screenshot is taken of
    let firstFailure;
    const email = `dana-${randomBytes(5).toString('hex')}@example.org`;
    let totpSecret;
    let enrolmentStep;

    before(async () => {
      server = await startServer({ engine });
      context = await newContext(browser);
      page = await context.newPage();
      activePage = page;
    });

    after(async () => {
      await context?.close();
      await server?.stop();
    });

    // The steps are one journey: each relies on the ones before, so after a failure the rest
    // fail at once, naming the step that broke, instead of failing confusingly.
    function step(name, body) {
      it(name, async () => {
        if (firstFailure) throw new Error(`not run: the earlier step "${firstFailure}" failed`);
        try {
          await body();
        } catch (error) {
          firstFailure = name;
          const screenshot = await saveScreenshot(activePage, `${engine}-${name}`);
          const lines = server?.logs().split('\n') ?? [];
          console.error(
            [
              `--- ${engine} / ${name} failed at ${activePage?.url()}`,
              screenshot ? `--- screenshot: ${screenshot}` : '--- (no screenshot)',
              `--- server output (last ${SERVER_LOG_LINES_ON_FAILURE} of ${lines.length} lines):`,
              ...lines.slice(-SERVER_LOG_LINES_ON_FAILURE),
              '--- end of server output',
            ].join('\n'),
          );
          throw error;
        }
      });
    }

    step('the home page links to sign-up', async () => {
      await visit(page, `${server.baseUrl}/`);
      const link = page.getByRole('link', { name: 'Create an account' });
      await navigate(page, () => link.click());
      assert.equal(path(page), '/sign-up');
    });

    step('sign-up refuses an invalid e-mail address and keeps what was typed', async () => {
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

    step('sign-up with a valid form asks to check the inbox', async () => {
      await field(page, 'E-mail address').fill(email);
      await field(page, 'Password').fill(PASSWORD);
      await field(page, 'Repeat password').fill(PASSWORD);
      await navigate(page, () => page.getByRole('button', { name: 'Create account', exact: true }).click());
      await expectHeading(page, 'Check your inbox');
    });

    step('the link in the e-mail confirms the address', async () => {
      const mail = await waitForMail(server.dataDir, { to: email, subjectIncludes: 'Confirm your e-mail address' }, 30_000);
      const link = extractLink(mail.text, '/verify-email/');
      assert.ok(link, `no /verify-email/ link in the message:\n${mail.text}`);
      assert.ok(link.startsWith(`${server.baseUrl}/verify-email/`), `the link ${link} should use SENSATE_PUBLIC_URL`);
      await visit(page, link);
      await expectHeading(page, 'E-mail address confirmed');
    });

    step('signing in lands on the dashboard', async () => {
      await visit(page, `${server.baseUrl}/sign-in`);
      await field(page, 'E-mail address').fill(email);
      await field(page, 'Password').fill(PASSWORD);
      await navigate(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
      assert.equal(path(page), '/dashboard');
      await expectHeading(page, /Welcome/);
    });

    step('two-factor sign-in can be turned on, giving 10 recovery codes', async () => {
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
    });

    step('signing out returns to the home page and ends the session', async () => {
      const signOut = page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true });
      await navigate(page, () => signOut.click());
      assert.equal(path(page), '/');
      await visit(page, `${server.baseUrl}/dashboard`);
      assert.equal(path(page), '/sign-in', 'the dashboard is not shown after signing out');
    });

    step('signing in again asks for a code, refuses a wrong one, accepts the right one', async () => {
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

    step('a visitor who is not signed in is refused private pages and the API', async () => {
      const anonymous = await newContext(browser);
      try {
        const anonymousPage = await anonymous.newPage();
        activePage = anonymousPage;
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
        activePage = page;
        await anonymous.close();
      }
    });
  });
}
