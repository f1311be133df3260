// The pages a newcomer to the demo visits, in a real browser against the real server started
// with `--demo`, once on each database engine: the demo accounts, signing in as the board
// administrator with a code, inviting someone (with a mistake first), the invitation arriving
// in the invitee's inbox (not the demo mailbox) and being accepted, the audit log and its filters, the account page, a
// missing page, and asking for a password reset. Every page visited is checked with axe and
// must have real content, not only a status.
//
// Needs SENSATE_BIN (the built server) and, for the PostgreSQL run, SENSATE_TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432/postgres). `scripts/test` provides both.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { navigate, newContext, visit } from '../support/browser.mjs';
import {
  assertDescribedBy,
  button,
  expectFieldError,
  expectHeading,
  field,
  forEachEngine,
  path,
  trimmed,
  useBrowser,
} from '../support/journey.mjs';
import { extractLink, startServer, waitForMail } from '../support/server.mjs';
import { STEP_SECONDS, timeStep, waitForStepAfter } from '../support/totp.mjs';

const DEMO_PASSWORD = 'demo-sensate-2026';
const ADMIN_EMAIL = 'admin@demo.sensate.test';
const ADMIN_NAME = 'Morgan Ellis';
const INVITEE_EMAIL = 'new.clinician@example.org';
const INVITEE_NAME = 'Noor Haddad';
const INVITEE_PASSWORD = 'quiet lantern over the harbour';

const getBrowser = useBrowser();

/**
 * Reads the code valid now for a demo account from the /demo page (visited, so checked too).
 * A code read in the last seconds of its step may have expired by the time it is typed, so
 * then it waits for the next step first.
 */
async function demoCode(page, baseUrl, email) {
  if (Date.now() / 1000 - timeStep() * STEP_SECONDS > STEP_SECONDS - 5) await waitForStepAfter(timeStep());
  await visit(page, `${baseUrl}/demo`);
  const row = page.getByRole('row').filter({ has: page.locator('td:first-child code', { hasText: email }) });
  assert.equal(await row.count(), 1, `one row on /demo for ${email}`);
  const code = (await row.locator('td:nth-child(2) code').textContent()).trim();
  assert.match(code, /^\d{6}$/, `the code shown for ${email}`);
  return { code, step: timeStep() };
}

forEachEngine('pages', (engine, journey) => {
  let server;
  let context;
  let page;
  let adminCode;
  let invitationLink;

  before(async () => {
    server = await startServer({ engine, args: ['--demo'] });
    context = await newContext(getBrowser());
    page = await context.newPage();
    journey.server = server;
    journey.activePage = page;
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

    journey.step('the demo page lists the demo accounts, the password and a code for the admin', async () => {
    adminCode = await demoCode(page, server.baseUrl, ADMIN_EMAIL);
    await expectHeading(page, 'Demo accounts');
    const table = page.getByRole('table', { name: 'Accounts, one per role' });
    const emails = trimmed(await table.locator('tbody td:first-child code').allTextContents());
    assert.ok(emails.length >= 2, `several demo accounts, got ${JSON.stringify(emails)}`);
    assert.ok(emails.includes(ADMIN_EMAIL), `the admin is listed: ${JSON.stringify(emails)}`);
    assert.ok(emails.includes('candidate@demo.sensate.test'), `a candidate is listed: ${JSON.stringify(emails)}`);
    await page.locator('code', { hasText: DEMO_PASSWORD }).first().waitFor();
  });

  // 2. The admin's role requires two-factor sign-in: the password, then the code from /demo.
  journey.step('the demo admin signs in with the password and the code, landing on the dashboard', async () => {
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(ADMIN_EMAIL);
    await field(page, 'Password').fill(DEMO_PASSWORD);
    await navigate(page, () => button(page, 'Sign in').click());
    assert.equal(path(page), '/sign-in/two-factor');

    await field(page, 'Code').fill(adminCode.code);
    await navigate(page, () => button(page, 'Continue').click());
    assert.equal(path(page), '/dashboard');
    await expectHeading(page, `Welcome, ${ADMIN_NAME}`);
    const main = page.getByRole('main');
    await main.getByRole('link', { name: 'People and invitations', exact: true }).waitFor();
    await main.getByRole('link', { name: 'Audit log', exact: true }).waitFor();
  });

  // 3. The people page lists the demo people; an invitation to a bad address is refused with
  //    the form kept and the error tied to the field; a good one is sent and listed as open.
  journey.step('the people page lists people and refuses an invitation to an invalid address', async () => {
    await visit(page, `${server.baseUrl}/admin/people`);
    await expectHeading(page, 'People');
    await page.getByText(/^Showing 1–50 of \d+/).waitFor();
    // More people than a page: staff find one by searching, and the list says how many match.
    await field(page, 'Name or e-mail').fill('candidate@demo');
    await navigate(page, () => button(page, 'Filter').click());
    await expectHeading(page, 'Everyone (1)');
    const people = page.getByRole('region', { name: 'Table of people' });
    await people.getByRole('cell', { name: 'candidate@demo.sensate.test', exact: true }).waitFor();
    assert.match(await page.getByRole('link', { name: 'Download these as CSV' }).getAttribute('href'), /^\/admin\/people\.csv\?q=candidate%40demo&/);

    await field(page, 'E-mail address').fill('not-an-address');
    await field(page, 'Role').selectOption({ label: 'Clinician' });
    await navigate(page, () => button(page, 'Send invitation').click(), { status: 422 });
    await expectFieldError(page, 'email-error');
    await assertDescribedBy(field(page, 'E-mail address'), 'email-error');
    assert.equal(await field(page, 'E-mail address').inputValue(), 'not-an-address');
  });

  journey.step('inviting a clinician sends the invitation and lists it as open', async () => {
    await field(page, 'E-mail address').fill(INVITEE_EMAIL);
    await field(page, 'Role').selectOption({ label: 'Clinician' });
    await navigate(page, () => button(page, 'Send invitation').click());
    const url = new URL(page.url());
    assert.equal(`${url.pathname}${url.search}`, '/admin/people?invited=link');
    await page.getByRole('status').filter({ hasText: 'Invitation sent.' }).waitFor();
    const open = page.getByRole('region', { name: 'Table of open invitations' });
    await expectHeading(page, 'Open invitations');
    const row = open.getByRole('row').filter({ has: page.getByRole('cell', { name: INVITEE_EMAIL, exact: true }) });
    assert.equal(await row.count(), 1, `${INVITEE_EMAIL} is listed once under Open invitations`);
    await row.getByRole('cell', { name: 'Clinician', exact: true }).waitFor();
  });

  // 4. The invitation e-mail reaches the invitee's inbox (the server's outbox), never the demo
  //    mailbox, which shows only the demo's own accounts; its link, opened by someone who is
  //    not signed in, lets them choose a name and password (a mismatch first, name kept).
  journey.step('the invitation reaches the invitee, not the demo mailbox', async () => {
    const subject = 'You are invited to Sensate as Clinician';
    const sent = await waitForMail(server.dataDir, { to: INVITEE_EMAIL, subjectIncludes: subject }, 30_000);
    await visit(page, `${server.baseUrl}/demo/mailbox`);
    await expectHeading(page, 'Demo mailbox');
    const shown = page.getByRole('article').filter({ hasText: `To ${INVITEE_EMAIL}` });
    assert.equal(await shown.count(), 0, `the demo mailbox does not show mail to ${INVITEE_EMAIL}`);
    const body = sent.text;
    invitationLink = extractLink(body, '/invitations/');
    assert.ok(invitationLink, `no /invitations/ link in the message:\n${body}`);
    assert.ok(
      invitationLink.startsWith(`${server.baseUrl}/invitations/`),
      `the link ${invitationLink} should use SENSATE_PUBLIC_URL`,
    );
  });

  journey.step('the invitation link lets a newcomer create an account, refusing mismatched passwords', async () => {
    const newcomer = await newContext(getBrowser());
    try {
      const newcomerPage = await newcomer.newPage();
      journey.activePage = newcomerPage;
      await visit(newcomerPage, invitationLink);
      await expectHeading(newcomerPage, 'Accept your invitation');
      await newcomerPage.getByText(INVITEE_EMAIL, { exact: true }).waitFor();

      await field(newcomerPage, 'Your name').fill(INVITEE_NAME);
      await field(newcomerPage, 'Password').fill(INVITEE_PASSWORD);
      await field(newcomerPage, 'Repeat password').fill(`${INVITEE_PASSWORD} but different`);
      await navigate(newcomerPage, () => button(newcomerPage, 'Create my account').click(), { status: 422 });
      await expectFieldError(newcomerPage, 'password_confirm-error');
      await assertDescribedBy(field(newcomerPage, 'Repeat password'), 'password_confirm-error');
      assert.equal(await field(newcomerPage, 'Your name').inputValue(), INVITEE_NAME);
      // Passwords are never sent back to the browser.
      assert.equal(await field(newcomerPage, 'Password').inputValue(), '');

      await field(newcomerPage, 'Password').fill(INVITEE_PASSWORD);
      await field(newcomerPage, 'Repeat password').fill(INVITEE_PASSWORD);
      await navigate(newcomerPage, () => button(newcomerPage, 'Create my account').click());
      await expectHeading(newcomerPage, 'Welcome to Sensate');
      await newcomerPage.getByText(INVITEE_EMAIL).first().waitFor();
    } finally {
      journey.activePage = page;
      await newcomer.close();
    }
  });

  // 5. The audit log records the invitation; its action filter narrows the list; a date that
  //    is not a date is refused with a message (typed into the URL: a date input cannot hold it).
  journey.step('the audit log lists events including the invitation', async () => {
    await visit(page, `${server.baseUrl}/admin/audit`);
    await expectHeading(page, 'Audit log');
    const table = page.getByRole('table', { name: /^\d+ events$/ });
    const caption = (await table.locator('caption').textContent()).trim();
    assert.ok(Number.parseInt(caption, 10) > 0, `the caption counts the events: ${JSON.stringify(caption)}`);
    const actions = trimmed(await table.locator('tbody td:nth-child(4) code').allTextContents());
    assert.ok(actions.includes('admin.invited'), `an admin.invited event among ${JSON.stringify(actions)}`);
  });

  journey.step('the audit log filters by the start of the action', async () => {
    await field(page, 'Action starts with').fill('signin');
    await navigate(page, () => button(page, 'Filter').click());
    assert.equal(new URL(page.url()).searchParams.get('action'), 'signin');
    assert.equal(await field(page, 'Action starts with').inputValue(), 'signin', 'the filter is kept');
    const actions = trimmed(await page.locator('table tbody td:nth-child(4) code').allTextContents());
    assert.ok(actions.length > 0, 'the admin signed in, so there are signin events');
    const others = actions.filter((action) => !action.startsWith('signin'));
    assert.deepEqual(others, [], 'every action shown starts with "signin"');
  });

  journey.step('the audit log refuses a date that is not a date', async () => {
    await visit(page, `${server.baseUrl}/admin/audit?from=yesterday`, { status: 422 });
    await expectHeading(page, 'Audit log');
    const problem = page.getByRole('alert').filter({ hasText: 'is not a date' });
    await problem.waitFor();
    assert.match(await problem.textContent(), /"yesterday" is not a date/);
  });

  // 6. The account page shows the account, that two-factor sign-in is on, the password form
  //    (refusing a wrong current password) and this browser's session.
  journey.step('the account page shows two-factor on, this session, and refuses a wrong password', async () => {
    await visit(page, `${server.baseUrl}/account/security`);
    for (const heading of ['Account and security', 'Two-factor sign-in', 'Change your password', 'Where you are signed in']) {
      await expectHeading(page, heading);
    }
    const mfa = page.getByRole('region', { name: 'Two-factor sign-in' });
    await mfa.getByText('On', { exact: true }).waitFor();
    const sessions = page.getByRole('region', { name: 'Table of your sessions' });
    const current = sessions.getByRole('row').filter({ hasText: 'This device' });
    assert.ok((await current.count()) >= 1, 'a session row is marked "This device"');

    await field(page, 'Current password').fill('not the right password');
    await field(page, 'New password').fill('a brand new long passphrase');
    await field(page, 'Repeat new password').fill('a brand new long passphrase');
    await navigate(page, () => button(page, 'Change password').click(), { status: 422 });
    await expectFieldError(page, 'current_password-error');
    await assertDescribedBy(field(page, 'Current password'), 'current_password-error');
  });

  // 7. A page that does not exist answers 404 with a page a person can read and leave.
  journey.step('a missing page answers 404 with "Page not found"', async () => {
    await visit(page, `${server.baseUrl}/no-such-page`, { status: 404 });
    await expectHeading(page, 'Page not found');
    await page.getByRole('link', { name: 'Go to the home page' }).waitFor();
  });

  // 8. After signing out, asking for a password reset for a known address says to check the inbox.
  journey.step('signed out, asking for a password reset says to check the inbox', async () => {
    const signOut = page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true });
    await navigate(page, () => signOut.click());
    assert.equal(path(page), '/');

    await visit(page, `${server.baseUrl}/password/forgot`);
    await expectHeading(page, 'Reset your password');
    await field(page, 'E-mail address').fill(INVITEE_EMAIL);
    await navigate(page, () => button(page, 'Send the link').click());
    await expectHeading(page, 'Check your inbox');
  });
});
