// From a submitted application to a credential anyone can verify, in a real browser against
// the server started with `--demo`, once on each database engine; every page checked with axe.
//
// 1. Taylor Brooks (the demo candidate who meets every CST requirement) prepares and submits
//    the application: Dr. Marsh reads it from her desk and endorses it, board staff record the
//    fee. Dr. Marsh rejects one of Alex Moreno's sessions; Alex corrects it and sends it again,
//    and Dr. Marsh countersigns the correction.
// 2. Staff find the application in the review queue (its next step: assign reviewers) and
//    assign two committee reviewers; the history names them. Each met requirement links to its
//    evidence. One reviewer declares a conflict of interest from their desk and is replaced by a
//    third; the conflicted one can no longer be chosen, and the reason is shown.
// 3. The reviewers recommend approval; staff ask Taylor for more information; Taylor answers
//    in the portal with a document from the file; the committee chair approves.
// 4. Taylor reads the decision letter, downloads the certificate (PDF) and the signed badge
//    (VC-JWT); a member of the public searches the register and sees the credential active.
//
// Needs SENSATE_BIN and, for PostgreSQL, SENSATE_TEST_POSTGRES_URL (`scripts/test` sets both).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before } from 'node:test';

import { navigate, newContext, visit } from '../support/browser.mjs';
import { DEMO_PASSWORD, expectStatus, signIn } from '../support/demo.mjs';
import { button, expectHeading, field, forEachEngine, path, useBrowser } from '../support/journey.mjs';
import { minimalPdf } from '../support/files.mjs';
import { extractLink, startServer, waitForMail } from '../support/server.mjs';

const TAYLOR = { email: 'ready@demo.sensate.test', name: 'Taylor Brooks' };
const MARSH = 'supervisor@demo.sensate.test';
const STAFF = 'staff@demo.sensate.test';
const FIRST = { email: 'reviewer1@demo.sensate.test', name: 'Dr. Samuel Okafor' };
const CONFLICTED = { email: 'reviewer2@demo.sensate.test', name: 'Dr. Grace Adeyemi' };
const REPLACEMENT = { email: 'reviewer3@demo.sensate.test', name: 'Dr. Amara Nwosu' };
const CHAIR = 'chair@demo.sensate.test';

const getBrowser = useBrowser();

forEachEngine('review', (engine, journey) => {
  let server;
  const contexts = [];
  const pages = {};
  let packetUrl;
  let applicationUrl;
  let number;
  let badge;

  async function pageOf(who) {
    if (!pages[who]) {
      const context = await newContext(getBrowser(), { acceptDownloads: true });
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

  journey.step('Taylor prepares the application, Dr. Marsh endorses it, staff record the fee, Taylor submits', async () => {
    const taylor = await signedIn('taylor', TAYLOR.email, false);
    await visit(taylor, `${server.baseUrl}/portal/progress/CST`);
    await navigate(taylor, () => button(taylor, 'Prepare the application').click());

    const marsh = await signedIn('marsh', MARSH, false);
    await visit(marsh, `${server.baseUrl}/supervision`);
    await navigate(marsh, () => marsh.getByRole('link', { name: `Read the application of ${TAYLOR.name}` }).click());
    await expectHeading(marsh, `${TAYLOR.name}: Certified Sex Therapist`);
    await marsh.getByRole('region', { name: 'Requirements judged today' }).getByRole('cell', { name: 'Met' }).first().waitFor();
    await navigate(marsh, () => button(marsh, `Endorse ${TAYLOR.name}'s application`).click());
    await expectStatus(marsh, 'Application endorsed.');

    const staff = await signedIn('staff', STAFF, true);
    await visit(staff, `${server.baseUrl}/admin/applications`);
    await navigate(staff, () => button(staff, `Paid by ${TAYLOR.name}`).click());

    await pageOf('taylor');
    await visit(taylor, `${server.baseUrl}/portal/progress/CST`);
    await navigate(taylor, () => button(taylor, 'Submit the application').click());
    await expectStatus(taylor, 'Application submitted.');
    await navigate(taylor, () => taylor.getByRole('link', { name: 'Follow your application through review' }).click());
    applicationUrl = taylor.url();
    assert.match(path(taylor), /^\/portal\/applications\/[0-9a-z-]+$/);
  });

  journey.step('Dr. Marsh rejects a session of Alex\'s; Alex corrects it and sends it again; she countersigns it', async () => {
    const marsh = await pageOf('marsh');
    await visit(marsh, `${server.baseUrl}/supervision`);
    const card = marsh.getByRole('listitem').filter({ hasText: 'Alex Moreno: ' }).first();
    const heading = (await card.getByRole('heading').textContent()).trim();
    const date = /^Alex Moreno: (\d{4}-\d{2}-\d{2}),/.exec(heading)?.[1];
    assert.ok(date, heading);
    await card.getByLabel('Reason to reject').fill('We met for one hour that day, not two.');
    await navigate(marsh, () => card.getByRole('button', { name: `Reject Alex Moreno's session of ${date}` }).click());
    await expectStatus(marsh, 'Session rejected');

    const alex = await signedIn('alex', 'halfway@demo.sensate.test', false);
    await visit(alex, `${server.baseUrl}/portal/supervision`);
    await alex.getByText('We met for one hour that day, not two.').first().waitFor();
    await navigate(alex, () => alex.getByRole('link', { name: `Correct and send again the session of ${date}` }).click());
    await expectHeading(alex, `Correct the session of ${date}`);
    await field(alex, 'Hours').fill('1');
    await navigate(alex, () => button(alex, 'Send the corrected session').click());
    await expectStatus(alex, 'Session corrected and sent to your supervisor again.');
    await alex.getByText(`Corrects the session of ${date}, rejected: We met for one hour that day, not two.`).waitFor();

    await pageOf('marsh');
    await visit(marsh, `${server.baseUrl}/supervision`);
    const corrected = marsh.getByRole('listitem').filter({ hasText: 'Corrected and sent again' });
    await corrected.getByText(`you rejected the session of ${date}`).waitFor();
    await navigate(marsh, () => corrected.getByRole('button', { name: `Countersign Alex Moreno's session of ${date}` }).click());
    await expectStatus(marsh, 'Session countersigned.');
  });

  journey.step('staff find the application in the review queue and assign two reviewers', async () => {
    const staff = await pageOf('staff');
    await visit(staff, `${server.baseUrl}/admin/review`);
    await expectHeading(staff, 'Review queue');
    await field(staff, 'Name, e-mail or number').fill(TAYLOR.email);
    await field(staff, 'Next step').selectOption({ value: 'assign' });
    await navigate(staff, () => button(staff, 'Filter').click());
    await staff.getByText('Showing 1–1 of 1').waitFor();
    const row = staff.getByRole('row').filter({ hasText: TAYLOR.name });
    assert.match(await row.textContent(), /Assign 2 reviewers/);
    await navigate(staff, () => row.getByRole('link', { name: TAYLOR.name }).click());
    packetUrl = staff.url();
    for (const reviewer of [FIRST, CONFLICTED]) {
      await field(staff, 'Assign a committee reviewer').selectOption({ label: reviewer.name });
      await navigate(staff, () => button(staff, 'Assign').click());
      await expectStatus(staff, 'Reviewer assigned');
    }
    const reviewers = staff.getByRole('region', { name: 'Reviewers' });
    for (const reviewer of [FIRST, CONFLICTED]) await reviewers.getByRole('heading', { name: reviewer.name }).waitFor();
    const history = staff.getByRole('region', { name: 'History' });
    for (const reviewer of [FIRST, CONFLICTED]) await history.getByText(`Reviewer assigned: ${reviewer.name}`).waitFor();
    // Each met requirement leads to its evidence: the licenses, and the license itself.
    const requirements = staff.getByRole('region', { name: 'Requirements at submission' });
    const licenses = requirements.getByRole('link', { name: /^Licenses: / }).first();
    await licenses.click();
    assert.equal(new URL(staff.url()).hash, '#evidence-licenses');
    await staff.getByRole('region', { name: 'Licenses' }).getByText(/copy attached/).first().waitFor();
    const copy = requirements.getByRole('link', { name: /^License: / }).first();
    const download = await staff.context().request.get(`${server.baseUrl}${await copy.getAttribute('href')}`);
    assert.equal(download.status(), 200, 'the license behind "Met" opens');
    await visit(staff, `${server.baseUrl}/admin/review`);
    const waiting = staff.getByRole('row').filter({ hasText: TAYLOR.name });
    assert.match(await waiting.textContent(), new RegExp(`Waiting for ${FIRST.name} and ${CONFLICTED.name}`));
  });

  journey.step('one reviewer declares a conflict of interest and can no longer open the application', async () => {
    const reviewer = await signedIn('conflicted', CONFLICTED.email, true);
    await visit(reviewer, `${server.baseUrl}/review`);
    await expectHeading(reviewer, 'Your reviews');
    const card = reviewer.getByRole('listitem').filter({ hasText: TAYLOR.name });
    await card.getByText(`I have a conflict of interest with ${TAYLOR.name}`).click();
    await card.getByLabel('Why').selectOption({ label: 'We work together or did recently' });
    await card.getByLabel('Note for staff (optional)').fill('We share a practice.');
    await navigate(reviewer, () => card.getByRole('button', { name: `Declare the conflict with ${TAYLOR.name}` }).click());
    await expectStatus(reviewer, 'Conflict declared.');
    await visit(reviewer, packetUrl, { status: 403 });
    await reviewer.getByText('conflict of interest').first().waitFor();
  });

  journey.step('staff see the withdrawal, cannot choose the conflicted reviewer, and assign a third', async () => {
    const staff = await pageOf('staff');
    await visit(staff, packetUrl);
    await staff.getByText('Withdrawn: declared a conflict of interest').waitFor();
    const option = staff.getByRole('option', { name: new RegExp(`^${CONFLICTED.name}: conflict`) });
    assert.equal(await option.isDisabled(), true, 'the conflicted reviewer cannot be chosen');
    await field(staff, 'Assign a committee reviewer').selectOption({ label: REPLACEMENT.name });
    await navigate(staff, () => button(staff, 'Assign').click());
    await expectStatus(staff, 'Reviewer assigned');
  });

  journey.step('both reviewers recommend approval, with their reasons', async () => {
    for (const [who, reviewer] of [['first', FIRST], ['replacement', REPLACEMENT]]) {
      const page = await signedIn(who, reviewer.email, true);
      await visit(page, `${server.baseUrl}/review`);
      await navigate(page, () => page.getByRole('link', { name: `Open the application of ${TAYLOR.name}` }).click());
      await expectHeading(page, `${TAYLOR.name}: Certified Sex Therapist`);
      await page.getByRole('radio', { name: 'Approve' }).check();
      await field(page, 'Your reasons and comments').fill('Hours, supervision and documents are complete and consistent.');
      await navigate(page, () => button(page, 'Send the recommendation').click());
      await expectStatus(page, 'Recommendation recorded.');
    }
  });

  journey.step('staff ask Taylor for more information', async () => {
    const staff = await pageOf('staff');
    await visit(staff, packetUrl);
    await field(staff, 'What should the candidate send or explain?').fill('Please send your most recent supervisory letter.');
    await navigate(staff, () => button(staff, 'Send the request').click());
    await expectStatus(staff, 'Request sent');
  });

  journey.step('Taylor answers in the portal with a document from the file', async () => {
    const taylor = await pageOf('taylor');
    await visit(taylor, applicationUrl);
    await expectHeading(taylor, 'The committee asks for more information');
    await taylor.getByText('Please send your most recent supervisory letter.').first().waitFor();
    // Sending nothing is refused, and nothing is lost.
    await navigate(taylor, () => button(taylor, 'Send the answer').click(), { status: 422 });
    await taylor.getByText('Write your answer or attach a document.').first().waitFor();
    await field(taylor, 'Your answer').fill('The letter from Dr. Marsh is attached.');
    await taylor.getByRole('group', { name: 'Attach documents from your file' }).getByRole('checkbox').first().check();
    await navigate(taylor, () => button(taylor, 'Send the answer').click());
    await expectStatus(taylor, 'Answer sent.');
  });

  journey.step('the committee chair approves, and the credential is issued', async () => {
    const chair = await signedIn('chair', CHAIR, true);
    await visit(chair, packetUrl);
    await chair.getByText('The letter from Dr. Marsh is attached.').first().waitFor();
    await chair.getByRole('radio', { name: 'Approve and issue the credential' }).check();
    await field(chair, 'Reasons (they go into the decision letter)').fill('Every requirement is met and both reviewers recommend approval.');
    await navigate(chair, () => button(chair, 'Record the decision').click());
    await expectStatus(chair, 'Decision recorded');
  });

  journey.step('Taylor reads the letter and downloads the certificate and the signed badge', async () => {
    const taylor = await pageOf('taylor');
    await visit(taylor, applicationUrl);
    await navigate(taylor, () => taylor.getByRole('link', { name: 'Read the decision letter' }).click());
    const text = await taylor.getByRole('main').textContent();
    number = /Your credential number is ([A-Z-]+-\d{4}-\d{6}-\d{2})/.exec(text)?.[1];
    assert.ok(number, `a credential number in the letter: ${text}`);
    await navigate(taylor, () => taylor.getByRole('link', { name: 'Your credential' }).click());
    await expectHeading(taylor, 'Your credentials');
    for (const [name, check] of [
      ['Certificate (PDF, wall size)', (bytes) => bytes.subarray(0, 5).toString() === '%PDF-'],
      ['Digital badge (Open Badges 3.0, signed)', (bytes) => bytes.toString().split('.').length === 3],
    ]) {
      const [download] = await Promise.all([taylor.waitForEvent('download'), taylor.getByRole('link', { name }).click()]);
      const bytes = await readFile(await download.path());
      assert.ok(check(bytes), `${name} downloaded as ${download.suggestedFilename()}`);
      assert.ok(download.suggestedFilename().startsWith(number), download.suggestedFilename());
      if (name.startsWith('Digital badge')) badge = { name: download.suggestedFilename(), bytes };
    }
  });

  journey.step('a member of the public finds the credential active on the verification page', async () => {
    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/verify`);
    await expectHeading(visitor, 'Verify a credential');
    await field(visitor, 'Credential number or name').fill(number);
    await navigate(visitor, () => button(visitor, 'Search').click());
    await navigate(visitor, () => visitor.getByRole('link', { name: TAYLOR.name }).click());
    await expectHeading(visitor, TAYLOR.name);
    assert.equal((await visitor.locator('.status-headline .badge').textContent()).trim(), 'active');
    await visitor.getByText('A licensed mental-health or medical clinician').first().waitFor();
  });

  journey.step('the public checks the downloaded badge file: the signature is valid and the credential active', async () => {
    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/verify`);
    await field(visitor, 'Credential file').setInputFiles({ name: badge.name, mimeType: 'application/vc+jwt', buffer: badge.bytes });
    await navigate(visitor, () => button(visitor, 'Check').click());
    await expectHeading(visitor, 'The signature is valid');
    await visitor.getByRole('status').getByText('active', { exact: true }).waitFor();
  });

  journey.step('staff revoke two credentials at once after a preview, and follow the progress', async () => {
    const staff = await pageOf('staff');
    await visit(staff, `${server.baseUrl}/admin/credentials/${number}`);
    await expectHeading(staff, `${TAYLOR.name}: ${number}`);
    await staff.getByText('Application approved.').waitFor();
    await visit(staff, `${server.baseUrl}/admin/credentials`);
    await expectHeading(staff, 'Credentials');
    // Two credentials among hundreds: staff search for both at once.
    await field(staff, 'Number, holder or credential').fill(`${number}, Victor Hale`);
    await navigate(staff, () => button(staff, 'Filter').click());
    await staff.getByText('Showing 1–2 of 2').waitFor();
    const register = staff.getByRole('region', { name: 'Table of credentials' });
    await register.getByRole('checkbox', { name: new RegExp(`^Choose ${number} `) }).check();
    await register.getByRole('checkbox', { name: /\(Dr\. Victor Hale\)$/ }).check();
    await staff.getByRole('radio', { name: 'Revoke', exact: true }).check();
    await navigate(staff, () => button(staff, 'Preview').click());
    await expectHeading(staff, 'Preview: revoke 2 credentials');
    await staff.getByText('1 of 2 will change').waitFor();
    await field(staff, "Reason (kept in each credential's history, not public)").fill('Ethics case 2026-9.');
    await field(staff, 'Public notice (shown on each verification page)').fill('Revoked after an ethics committee finding.');
    await navigate(staff, () => button(staff, 'Apply to 1 credentials').click());
    await staff.getByRole('status').filter({ hasText: 'Finished: 1 changed, 1 left as they were.' }).waitFor({ timeout: 20_000 });
    await staff.locator('progress').waitFor();
  });

  journey.step('the verification page now says revoked, with the notice', async () => {
    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/verify/${number}`);
    assert.equal((await visitor.locator('.status-headline .badge').textContent()).trim(), 'revoked');
    assert.match(await visitor.locator('.status-headline strong').textContent(), /^Revoked on \d{1,2} [A-Z][a-z]+ \d{4}$/, 'the page leads with the status in words and its date');
    await visitor.getByText('Revoked after an ethics committee finding.').first().waitFor();
  });

  journey.step('staff see the renewal audits and the reminders, and run a round', async () => {
    const staff = await pageOf('staff');
    await visit(staff, `${server.baseUrl}/admin/renewals`);
    await expectHeading(staff, 'Renewal audits');
    await visit(staff, `${server.baseUrl}/admin/reminders`);
    await expectHeading(staff, 'Reminders');
    await navigate(staff, () => button(staff, 'Run a round now').click());
    await expectStatus(staff, 'Round run now');
    // Rosa Delgado's credential ends within 30 days: her reminder is listed.
    await staff.getByRole('cell', { name: 'Rosa Delgado' }).first().waitFor();
  });

  journey.step('staff open the certificate behind a credit and return the renewal asking for another', async () => {
    const staff = await pageOf('staff');
    await visit(staff, `${server.baseUrl}/admin/renewals`);
    const card = staff.getByRole('region', { name: /^Rosa Delgado: CSC-/ });
    const credits = card.getByRole('region', { name: 'Credits of Rosa Delgado' });
    await credits.getByRole('cell', { name: 'Board-approved continuing education' }).waitFor();
    const certificate = credits.getByRole('link', { name: /^Open the certificate/ });
    assert.match(await certificate.getAttribute('href'), /^\/documents\/[0-9a-z]+$/);
    const download = await staff.context().request.get(`${server.baseUrl}${await certificate.getAttribute('href')}`);
    assert.equal(download.status(), 200, 'staff open the certificate');
    await credits.getByText('none attached').waitFor();
    await card.getByLabel('Note to the holder (needed to return it)').fill('Please attach the certificate for your teaching workshop.');
    await navigate(staff, () => card.getByRole('button', { name: "Return Rosa Delgado's renewal" }).click());
    assert.equal(await card.count(), 0, 'the renewal left the queue');
  });

  journey.step('a holder whose credential ends soon logs credits and sees how they count', async () => {
    const rosa = await signedIn('rosa', 'expiring@demo.sensate.test', false);
    // Her credential ends in 20 days and the returned renewal waits for her: the dashboard says so.
    await visit(rosa, `${server.baseUrl}/dashboard`);
    await rosa.getByText(/^Your Certified Sexuality Counselor ends in 20 days, on /).waitFor();
    assert.equal(await rosa.getByRole('link', { name: /^Renew it now/ }).count(), 1);
    // The return e-mail leads to the renewal itself.
    const mail = await waitForMail(server.dataDir, { to: 'expiring@demo.sensate.test', subjectIncludes: 'Your renewal needs a correction' }, 30_000);
    await visit(rosa, extractLink(mail.text, '/portal/credentials/'));
    await expectHeading(rosa, 'Renew your Certified Sexuality Counselor');
    await rosa.getByText('The board returned your renewal: Please attach the certificate for your teaching workshop.').waitFor();
    await field(rosa, 'How you earned them').selectOption({ label: 'CE not approved by the board' });
    await field(rosa, 'Date').fill(new Date().toISOString().slice(0, 10));
    await field(rosa, 'Hours').fill('lots');
    await field(rosa, 'Provider').fill('Regional Sexual Health Conference');
    await field(rosa, 'Activity').fill('Workshop on desire discrepancy');
    await navigate(rosa, () => button(rosa, 'Add').click(), { status: 422 });
    assert.equal(await field(rosa, 'Provider').inputValue(), 'Regional Sexual Health Conference', 'what was typed is kept');
    await field(rosa, 'Hours').fill('14');
    await navigate(rosa, () => button(rosa, 'Add').click());
    await expectStatus(rosa, 'Credits added.');
    await rosa.getByText('14 hours give 7 credits, but at most 5 count').first().waitFor();
  });

  journey.step('the holder answers the return with a certificate and staff approve the renewal', async () => {
    const rosa = await pageOf('rosa');
    const workshop = 'Workshop on consent and communication for nursing students';
    await rosa.getByLabel(`Certificate for ${workshop} (PDF, PNG or JPEG)`).setInputFiles({ name: 'teaching-certificate.pdf', mimeType: 'application/pdf', buffer: minimalPdf('Teaching certificate') });
    await navigate(rosa, () => rosa.getByRole('button', { name: `Attach the certificate for ${workshop}` }).click());
    assert.match(rosa.url(), /\/renewal\?uploaded=1$/);
    await rosa.getByRole('link', { name: `Certificate for ${workshop}` }).waitFor();
    await navigate(rosa, () => button(rosa, 'Submit the renewal').click());
    await rosa.getByText(/it answers their return/).waitFor();

    const staff = await pageOf('staff');
    await visit(staff, `${server.baseUrl}/admin/renewals`);
    const card = staff.getByRole('region', { name: /^Rosa Delgado: CSC-/ });
    await card.getByText('The holder answered your return').waitFor();
    assert.equal(await card.getByRole('link', { name: /^Open the certificate/ }).count(), 2, 'both credits carry a certificate now');
    await navigate(staff, () => card.getByRole('button', { name: "Approve Rosa Delgado's renewal" }).click());

    await pageOf('rosa');
    await visit(rosa, `${server.baseUrl}/portal/credentials/${rosa.url().split('/portal/credentials/')[1].split('/')[0]}/renewal`);
    await rosa.getByText(/^This renewal was approved: your credential now runs until \d{4}-\d{2}-\d{2}\.$/).waitFor();
  });
});
