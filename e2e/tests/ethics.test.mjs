// An ethics complaint from the public to a revoked credential, in a real browser against the
// server started with `--demo`, once on each database engine; every page checked with axe.
//
// 1. A member of the public looks up Dr. Noor Haddad (the demo's certified professional in
//    good standing) on the verification page and follows "Report a concern about this
//    professional". A description that is too short comes back (422) with the message by the
//    field and what was typed kept; the complaint then goes in, and the acknowledgement shows
//    the case reference.
// 2. The demo's ethics committee member (two-factor code from /demo) finds the new case in the
//    queue beside the demo's case in progress (about Dr. Kessler), opens it, accepts it at
//    intake and notifies the respondent.
// 3. Before the reply or its deadline (30 days), the committee member tries to suspend the
//    credential: refused (422) with the message by the sanction ("The respondent has until …
//    to reply"); marked as an interim suspension with its reasons, it is accepted, the public
//    verification page says "Interim suspension while an ethics complaint is considered", and
//    Dr. Haddad is e-mailed at once.
// 4. Dr. Haddad follows the link in the demo mailbox, reads the complaint (never who raised
//    it), the interim suspension and her last day to reply, and replies in her portal.
// 5. The committee member reads the reply and decides: revocation, with a public notice.
// 6. The public verification page says revoked at once, with the notice (no longer interim);
//    Dr. Haddad reads the decision in her portal.
//
// Needs SENSATE_BIN and, for PostgreSQL, SENSATE_TEST_POSTGRES_URL (`scripts/test` sets both).

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { navigate, newContext, visit } from '../support/browser.mjs';
import { DEMO_PASSWORD, expectStatus, signIn } from '../support/demo.mjs';
import {
  assertDescribedBy,
  button,
  expectFieldError,
  expectHeading,
  field,
  forEachEngine,
  path,
  useBrowser,
} from '../support/journey.mjs';
import { extractLink, startServer } from '../support/server.mjs';

const HADDAD = { email: 'certified@demo.sensate.test', name: 'Dr. Noor Haddad' };
const KESSLER = 'Dr. Adrian Kessler';
const KESSLER_EMAIL = 'suspended@demo.sensate.test';
const COMMITTEE = { email: 'ethics@demo.sensate.test', name: 'Dr. Ruth Abernathy' };
const REPORTER = { name: 'Robin Fairweather', email: 'robin.fairweather@mail.test' };
const TOO_SHORT = 'She was rude to me.';
const DESCRIPTION =
  'In our last two sessions Dr. Haddad shared details of another client’s treatment with me, naming them, ' +
  'and asked me to keep our sessions off the practice’s records.';
const REPLY = 'I deny sharing anything about another client; the sessions are all recorded in the practice’s system.';
const REASONS = 'The practice’s records and a colleague’s statement confirm the disclosure; confidentiality was breached.';
const NOTICE = 'Revoked after an ethics committee finding of a breach of client confidentiality.';
const INTERIM_REASONS =
  'The reporter names a current client whose records were shared; clients are at risk until the committee decides.';
const INTERIM_NOTICE = 'Suspended pending the outcome of an ethics complaint.';
const INTERIM_LABEL = 'Interim suspension while an ethics complaint is considered';
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "6 January 2027": the last day to reply for a respondent notified today (UTC), 30 days on. */
function replyDue() {
  const due = new Date(Date.now() + 30 * 86_400_000);
  return `${due.getUTCDate()} ${MONTHS[due.getUTCMonth()]} ${due.getUTCFullYear()}`;
}

const getBrowser = useBrowser();

/** `YYYY-MM-DD`, `days` before today (UTC, as the server counts days). */
function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

const textbox = (page, name) => page.getByRole('textbox', { name, exact: true });

forEachEngine('ethics', (engine, journey) => {
  let server;
  const contexts = [];
  const pages = {};
  let number;
  let reference;
  let caseUrl;

  async function pageOf(who) {
    if (!pages[who]) {
      const context = await newContext(getBrowser());
      contexts.push(context);
      pages[who] = await context.newPage();
    }
    journey.activePage = pages[who];
    return pages[who];
  }

  /** A signed-in page for a demo account (with the code from /demo when the role needs it). */
  async function signedIn(who, email, withCode) {
    const page = await pageOf(who);
    if (!page.url().startsWith(server.baseUrl)) await signIn(page, server.baseUrl, email, DEMO_PASSWORD, { withCode });
    return page;
  }

  before(async () => {
    server = await startServer({ engine, args: ['--demo'] });
    journey.server = server;
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await server?.stop();
  });

  journey.step('a member of the public finds the professional and opens the complaint form', async () => {
    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/demo`);
    const credentials = visitor.getByRole('region', { name: /Credentials held by demo accounts/ });
    const row = credentials.getByRole('row').filter({ hasText: HADDAD.name });
    assert.equal(await row.count(), 1, `one credential of ${HADDAD.name} on /demo`);
    number = (await row.locator('td:first-child code').textContent()).trim();
    assert.match(number, /^[A-Z]+-\d{4}-\d{6}-\d{2}$/, 'a credential number');

    await visit(visitor, `${server.baseUrl}/verify/${number}`);
    await expectHeading(visitor, HADDAD.name);
    assert.equal((await visitor.locator('.status-headline .badge').textContent()).trim(), 'active');
    await navigate(visitor, () => visitor.getByRole('link', { name: 'Report a concern about this professional' }).click());
    assert.equal(path(visitor), '/ethics/complaints/new');
    await expectHeading(visitor, 'Raise a concern about a certified professional');
    assert.equal(await field(visitor, 'Their credential number').inputValue(), number, 'the number comes from the link');
  });

  journey.step('a description that is too short comes back with the message by the field and nothing lost', async () => {
    const visitor = await pageOf('public');
    await field(visitor, 'Your name').fill(REPORTER.name);
    await field(visitor, 'Your e-mail address').fill(REPORTER.email);
    await textbox(visitor, 'Describe what happened').fill(TOO_SHORT);
    await navigate(visitor, () => button(visitor, 'Send the complaint').click(), { status: 422 });
    await expectHeading(visitor, 'There is a problem');
    const message = await expectFieldError(visitor, 'description-error');
    assert.match(message, /at least 30 characters/);
    const description = textbox(visitor, 'Describe what happened');
    await assertDescribedBy(description, 'description-error');
    assert.equal(await description.inputValue(), TOO_SHORT, 'the description is kept');
    assert.equal(await field(visitor, 'Your name').inputValue(), REPORTER.name, 'the name is kept');
    assert.equal(await field(visitor, 'Your e-mail address').inputValue(), REPORTER.email, 'the address is kept');
    assert.equal(await field(visitor, 'Their credential number').inputValue(), number, 'the number is kept');
  });

  journey.step('the complaint goes in and the acknowledgement gives its reference', async () => {
    const visitor = await pageOf('public');
    await textbox(visitor, 'Describe what happened').fill(DESCRIPTION);
    await field(visitor, 'When it happened, or began (optional)').fill(daysAgo(30));
    await navigate(visitor, () => button(visitor, 'Send the complaint').click());
    assert.equal(path(visitor), '/ethics/complaints/received');
    await expectHeading(visitor, 'Your concern was received');
    const status = visitor.getByRole('status').filter({ hasText: 'Your case reference is' });
    reference = /EC-\d{4}-\d{4,}/.exec(await status.textContent())?.[0];
    assert.ok(reference, 'a case reference on the acknowledgement');
    const main = await visitor.getByRole('main').textContent();
    assert.ok(!main.includes('another client'), 'the acknowledgement does not repeat the complaint');
  });

  journey.step('the ethics committee member accepts the case at intake and notifies the respondent', async () => {
    const committee = await signedIn('committee', COMMITTEE.email, true);
    await navigate(committee, () => committee.getByRole('banner').getByRole('link', { name: 'Ethics cases', exact: true }).click());
    await expectHeading(committee, 'Ethics cases');
    const queue = committee.getByRole('region', { name: 'Ethics cases' });
    const demoCase = queue.getByRole('row').filter({ hasText: KESSLER });
    assert.match(await demoCase.textContent(), /Respondent notified, waiting for the reply/, 'the demo case in progress');
    const row = queue.getByRole('row').filter({ hasText: reference });
    assert.match(await row.textContent(), new RegExp(`${HADDAD.name}.*Received, waiting for intake`, 's'));
    await navigate(committee, () => row.getByRole('link', { name: reference }).click());
    caseUrl = committee.url();
    await expectHeading(committee, `Ethics case ${reference}`);
    await committee.getByText(DESCRIPTION).waitFor();
    await committee.getByRole('region', { name: 'Who raised it' }).getByText(REPORTER.email).waitFor();

    await committee.getByRole('radio', { name: 'Accept the case' }).check();
    await textbox(committee, 'Reason (required to dismiss)').fill('A breach of client confidentiality: within scope.');
    await navigate(committee, () => button(committee, 'Record the intake').click());
    await expectStatus(committee, 'Accepted.');
    await navigate(committee, () => button(committee, 'Notify the respondent').click());
    await expectStatus(committee, 'The respondent was told by e-mail');
    await committee.getByText('The respondent was notified and has not replied yet.').waitFor();
    await committee.getByText(`Reply by ${replyDue()}`, { exact: true }).waitFor();
  });

  journey.step('a suspension before the reply deadline is refused unless marked interim, then shown as interim', async () => {
    const committee = await pageOf('committee');
    await committee.getByRole('radio', { name: 'Suspension of the credential' }).check();
    await textbox(committee, 'Reasons').fill(INTERIM_REASONS);
    await textbox(committee, 'Public notice (only with a suspension or revocation)').fill(INTERIM_NOTICE);
    await navigate(committee, () => button(committee, 'Record the decision').click(), { status: 422 });
    await expectHeading(committee, 'There is a problem');
    const message = await expectFieldError(committee, 'sanction-error');
    assert.equal(
      message,
      `The respondent has until ${replyDue()} to reply; decide after their reply or after that day, or take an interim measure.`,
    );
    const suspension = committee.getByRole('radio', { name: 'Suspension of the credential' });
    await assertDescribedBy(suspension, 'sanction-error');
    assert.ok(await suspension.isChecked(), 'the sanction chosen is kept');
    assert.equal(await textbox(committee, 'Reasons').inputValue(), INTERIM_REASONS, 'the reasons are kept');

    await committee.getByRole('checkbox', { name: 'Interim suspension: suspend now, before the decision' }).check();
    await navigate(committee, () => button(committee, 'Record the decision').click());
    await expectStatus(committee, 'Interim suspension recorded');
    await committee.getByText('Credential suspended as an interim measure', { exact: false }).waitFor();
    await committee.getByRole('region', { name: 'History' }).getByText(INTERIM_REASONS).waitFor();
    assert.equal(await button(committee, 'Record the decision').count(), 1, 'the case stays open for the decision');

    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/verify/${number}`);
    await expectHeading(visitor, HADDAD.name);
    assert.equal((await visitor.locator('.status-headline .badge').textContent()).trim(), 'suspended');
    assert.match(await visitor.locator('#interim-suspension').textContent(), new RegExp(`^${INTERIM_LABEL}\\.`));
    await visitor.getByRole('note').filter({ hasText: 'Public notice' }).getByText(INTERIM_NOTICE).waitFor();
    await visitor.getByRole('region', { name: 'Record' }).getByText(new RegExp(`: ${INTERIM_LABEL}`)).waitFor();
  });

  journey.step('the respondent follows the link in the demo mailbox, reads the complaint and replies', async () => {
    const haddad = await signedIn('haddad', HADDAD.email, true);
    await visit(haddad, `${server.baseUrl}/demo/mailbox`);
    // The demo's own case: Dr. Kessler was notified the same way when the demo loaded.
    const demoNotice = haddad
      .getByRole('article', { name: /^Ethics case EC-/ })
      .filter({ hasText: `To ${KESSLER_EMAIL}` })
      .filter({ hasText: 'opened a case' });
    assert.equal(await demoNotice.count(), 1, `one notification of the demo case to ${KESSLER_EMAIL}`);
    assert.ok(
      extractLink(await demoNotice.locator('.mail-body').textContent(), '/portal/ethics-cases/'),
      'the demo respondent was sent a link to his case',
    );
    const toHaddad = haddad.getByRole('article', { name: `Ethics case ${reference}` }).filter({ hasText: `To ${HADDAD.email}` });
    const interimMail = toHaddad.filter({ hasText: 'interim measure' });
    assert.equal(await interimMail.count(), 1, `told of the interim suspension at once (${reference})`);
    assert.ok(!(await interimMail.locator('.mail-body').textContent()).includes('clients are at risk'), 'no reasons in the e-mail');
    const mail = toHaddad.filter({ hasText: 'opened a case' });
    assert.equal(await mail.count(), 1, `one notification of ${reference} to ${HADDAD.email}`);
    const body = await mail.locator('.mail-body').textContent();
    assert.ok(!body.includes('another client'), 'the e-mail says nothing of the complaint');
    const link = extractLink(body, '/portal/ethics-cases/');
    assert.ok(link?.startsWith(`${server.baseUrl}/portal/ethics-cases/`), `a link to the portal: ${link}`);

    await visit(haddad, link);
    await expectHeading(haddad, `Ethics case ${reference}`);
    await haddad.getByText(DESCRIPTION).waitFor();
    const main = await haddad.getByRole('main').textContent();
    for (const secret of [REPORTER.name, REPORTER.email]) {
      assert.ok(!main.includes(secret), `the respondent does not see who complained (${secret})`);
    }
    assert.ok(main.includes(`Reply by${replyDue()}`) || main.includes(`Reply by ${replyDue()}`), 'her last day to reply');
    await haddad.getByRole('region', { name: 'Interim suspension of your credential' }).getByText(INTERIM_REASONS).waitFor();
    await textbox(haddad, 'Your reply').fill(REPLY);
    await navigate(haddad, () => button(haddad, 'Send the reply').click());
    await expectStatus(haddad, 'Reply sent.');
    await haddad.getByText(REPLY).waitFor();
    assert.equal(await button(haddad, 'Send the reply').count(), 0, 'one reply only');
  });

  journey.step('the committee member reads the reply and revokes the credential with a public notice', async () => {
    const committee = await pageOf('committee');
    await visit(committee, caseUrl);
    await committee.getByRole('region', { name: 'The respondent\'s reply' }).getByText(REPLY).waitFor();
    await committee.getByRole('radio', { name: 'Revocation of the credential' }).check();
    await textbox(committee, 'Reasons').fill(REASONS);
    await textbox(committee, 'Public notice (only with a suspension or revocation)').fill(NOTICE);
    await navigate(committee, () => button(committee, 'Record the decision').click());
    await expectStatus(committee, 'Decision recorded.');
    await expectHeading(committee, 'Decision: Revocation of the credential');
  });

  journey.step('the verification page shows the credential revoked, with the notice', async () => {
    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/verify/${number}`);
    await expectHeading(visitor, HADDAD.name);
    assert.equal((await visitor.locator('.status-headline .badge').textContent()).trim(), 'revoked');
    await visitor.getByRole('note').filter({ hasText: 'Public notice' }).getByText(NOTICE).waitFor();
    assert.equal(await visitor.locator('#interim-suspension').count(), 0, 'the revocation is final, not interim');

    const haddad = await pageOf('haddad');
    await visit(haddad, caseUrl.replace('/ethics/cases/', '/portal/ethics-cases/'));
    await expectHeading(haddad, "The committee's decision: Revocation of the credential");
    await haddad.getByText(REASONS).waitFor();
  });
});
