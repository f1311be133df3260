// A candidate's whole path to an application, in a real browser against the real server started
// with `--demo`, once on each database engine. Every page visited is checked with axe.
//
// 1. The demo board administrator imports a small program, "Pilot Certificate in Sex Therapy"
//    (PILOT), by pasting its definition: every kind of requirement, with totals of an hour or
//    two, so one browser journey can meet them all (programs are data, not code).
// 2. A newcomer signs up, confirms the address from the e-mail, chooses PILOT and records
//    every kind of evidence through the forms: membership, the ethics attestation, a degree
//    with its transcript, a license with its copy, insurance with its face sheet, SAR hours and
//    training hours split by discipline (first with a split that does not add up: refused, the
//    message by the field, what was typed kept).
// 3. Core-knowledge courses come from a two-row CSV import: preview, then commit.
// 4. The candidate asks Dr. Helen Marsh (the demo supervisor) to supervise them; she signs the
//    contract in her own browser; the candidate logs clinical hours and a supervision session,
//    which she countersigns.
// 5. Every requirement shows "Met"; the candidate prepares the application, Dr. Marsh endorses
//    it, board staff record the fee, and the candidate submits it.
// 6. Alex Moreno, the demo's half-way candidate, tries to submit towards CST and is told
//    exactly what is missing.
//
// Needs SENSATE_BIN (the built server) and, for the PostgreSQL run, SENSATE_TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432/postgres). `scripts/test` provides both.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';

import { navigate, newContext, visit } from '../support/browser.mjs';
import {
  button,
  expectFieldError,
  expectHeading,
  field,
  forEachEngine,
  path,
  trimmed,
  useBrowser,
} from '../support/journey.mjs';
import { DEMO_PASSWORD, expectStatus, signIn, tableRows } from '../support/demo.mjs';
import { minimalPdf } from '../support/files.mjs';
import { extractLink, startServer, waitForMail } from '../support/server.mjs';

const ADMIN_EMAIL = 'admin@demo.sensate.test';
const STAFF_EMAIL = 'staff@demo.sensate.test';
const SUPERVISOR_EMAIL = 'supervisor@demo.sensate.test';
const SUPERVISOR_NAME = 'Dr. Helen Marsh';
const HALFWAY_EMAIL = 'halfway@demo.sensate.test';

const CANDIDATE_NAME = 'Robin Okafor';
const CANDIDATE_PASSWORD = 'amber kettle under the bridge';

const PILOT_CODE = 'PILOT';
const PILOT_NAME = 'Pilot Certificate in Sex Therapy';
const PILOT_VERSION = '2026.P.1';

/** A program with every kind of requirement and tiny totals: met within one journey. */
const PILOT_SOURCE = `# A pilot program: every kind of requirement, with totals small enough for a demo.
definition = "program"
code = "${PILOT_CODE}"
version = "${PILOT_VERSION}"
name = "${PILOT_NAME}"
kind = "therapist"
summary = "A pilot of the sex-therapy credential with small totals, for trying Sensate end to end."
effective_from = 2020-01-01
validity_years = 3

[fee]
amount = 50
currency = "USD"
refundable = false

[[requirement]]
key = "membership"
title = "Membership in good standing, kept through supervision"
kind = "membership"
types = ["early_career", "professional"]
through_supervision = true

[[requirement]]
key = "ethics"
title = "Code of ethics attestation"
kind = "attestation"

[[requirement]]
key = "degree"
title = "Graduate degree and post-degree clinical experience"
kind = "degree"
accredited = true
options = [{ level = "master", years_after = 2 }]

[[requirement]]
key = "license"
title = "License to practise psychotherapy independently"
kind = "license"
professions = ["psychology", "social_work", "counseling"]

[[requirement]]
key = "insurance"
title = "Professional liability insurance"
kind = "insurance"

[[requirement]]
key = "sar"
title = "Sexual Attitude Reassessment (SAR)"
kind = "hours"
log = "sar"
total = 1

[[requirement]]
key = "core"
title = "Core knowledge courses"
kind = "hours"
log = "core_knowledge"
total = 2
caps = [{ modes = ["elearning"], max = 1 }]

[[requirement]]
key = "training"
title = "Sex-therapy training"
kind = "hours"
log = "training"
total = 1

[[requirement]]
key = "clinical"
title = "Supervised clinical work with clients' sexual concerns"
kind = "hours"
log = "clinical"
total = 2
under_contract = true

[[requirement]]
key = "supervision"
title = "Supervision by a certified supervisor"
kind = "supervision"
total = 1
group_share_percent = 50
group_size_max = 4

[[requirement]]
key = "documents"
title = "Documents on file"
kind = "documents"
required = [{ kind = "transcript" }]
`;
const PILOT_REQUIREMENTS = 11;

/** Two past core-knowledge courses (one by eLearning, at the program's cap of 1 hour). */
const PAST_COURSES_CSV = [
  '# Two past courses, as a spreadsheet saves them.',
  'log,date,hours,mode,provider,title,split',
  'core_knowledge,2024-03-08,1,elearning,Midwest Institute for Sexuality,Foundations of sexual health,ethics=1',
  'core_knowledge,2024-05-17,1,in_person,Northern Sexuality Conference,"Sexual function, from optimal to problematic",sexual_function=0.5; health_medical=0.5',
  '',
].join('\n');

/** What Alex Moreno (half-way towards CST) is told when trying to submit. */
const ALEX_SHORTFALLS = [
  'Core knowledge courses: 45 of 90 hours counted, 45 to go',
  'Sex-therapy training: 20 of 60 hours counted, 40 to go',
];

/** Today as the server sees it (UTC), and days relative to it, as YYYY-MM-DD. */
function isoDay(offsetDays = 0) {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}


const getBrowser = useBrowser();

/** Fills a portal section's form: `values` maps labels to text (inputs) or option labels (selects). */
async function fillForm(page, values) {
  for (const [label, value] of Object.entries(values)) {
    const input = field(page, label);
    const tag = await input.evaluate((element) => element.tagName.toLowerCase());
    if (tag === 'select') await input.selectOption({ label: value });
    else await input.fill(value);
  }
}

/** Adds one record on /portal/{slug}; returns the rows of the table on file afterwards. */
async function addRecord(page, baseUrl, slug, heading, values) {
  await visit(page, `${baseUrl}/portal/${slug}`);
  await expectHeading(page, heading);
  await fillForm(page, values);
  await navigate(page, () => button(page, 'Add').click());
  const url = new URL(page.url());
  assert.equal(url.pathname, `/portal/${slug}`);
  // Hours come back with their entry, so the page can say at once whether they count.
  assert.match(url.search, /^\?added=1(&entry=[0-9a-z-]+)?$/);
  await expectStatus(page, 'Added.');
  return tableRows(page.getByRole('region', { name: 'Table of entries on file' }));
}

/**
 * From a record's row, follows its "attach" link to /portal/documents (kind and record
 * prefilled), uploads a PDF and checks it is listed as attached to the record.
 */
async function attachPdf(page, entryName, { kind, fileName, attachedTo }) {
  const link = page.getByRole('link', { name: `attach a document to the entry of ${entryName}`, exact: true });
  await navigate(page, () => link.click());
  assert.equal(path(page), '/portal/documents');
  await expectHeading(page, 'Documents');
  const kindSelect = field(page, 'Kind of document');
  assert.equal(
    await kindSelect.evaluate((select) => select.selectedOptions[0]?.textContent.trim()),
    kind,
    'the kind of document is prefilled from the record',
  );
  const attachSelect = field(page, 'Attach to a record');
  assert.notEqual(await attachSelect.inputValue(), '', 'the record is preselected');
  await field(page, 'File').setInputFiles({ name: fileName, mimeType: 'application/pdf', buffer: minimalPdf(fileName) });
  await navigate(page, () => button(page, 'Upload').click());
  const url = new URL(page.url());
  assert.equal(`${url.pathname}${url.search}`, '/portal/documents?uploaded=1');
  await expectStatus(page, 'Uploaded. The document is stored encrypted.');
  const rows = await tableRows(page.getByRole('region', { name: 'Table of documents on file' }));
  const row = rows.find((cells) => cells[1] === fileName);
  assert.ok(row, `${fileName} is listed among ${JSON.stringify(rows)}`);
  assert.equal(row[0], kind);
  assert.equal(row[4], attachedTo);
}

forEachEngine('candidate', (engine, journey) => {
  let server;
  const contexts = [];
  let candidate; // the newcomer's page
  let supervisor; // Dr. Marsh's page
  const candidateEmail = `robin-${randomBytes(4).toString('hex')}@example.org`;
  const today = isoDay();

  /** A page in a fresh browser context (own cookies), closed with the file's others. */
  async function freshPage() {
    const context = await newContext(getBrowser());
    contexts.push(context);
    return context.newPage();
  }

  /** Runs `fn(page)` with `page` as the page a failure shows. */
  async function on(page, fn) {
    journey.activePage = page;
    return fn(page);
  }

  before(async () => {
    server = await startServer({ engine, args: ['--demo'] });
    journey.server = server;
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await server?.stop();
  });

  // 1. The board imports a small program: a definition pasted into the box.
  journey.step('the board admin imports the PILOT program by pasting its definition', async () => {
    const page = await freshPage();
    await on(page, async () => {
      await signIn(page, server.baseUrl, ADMIN_EMAIL, DEMO_PASSWORD, { withCode: true });
      await visit(page, `${server.baseUrl}/admin/programs`);
      await expectHeading(page, 'Manage credential programs');
      await field(page, "Or paste the file's text").fill(PILOT_SOURCE);
      await navigate(page, () => button(page, 'Import').click());
      assert.equal(path(page), '/admin/programs');
      await expectStatus(page, `${PILOT_NAME} (${PILOT_CODE}) rule version ${PILOT_VERSION} imported.`);
      assert.equal(await page.getByRole('alert').count(), 0, 'no problem is shown');
      const table = page.getByRole('region', { name: 'Table of programs in force' });
      const pilot = (await tableRows(table)).find((cells) => cells[1] === PILOT_CODE);
      assert.deepEqual(pilot, [PILOT_NAME, PILOT_CODE, PILOT_VERSION]);
    });
  });

  journey.step('the PILOT program page states its requirements in words', async () => {
    const page = await freshPage();
    await on(page, async () => {
      await visit(page, `${server.baseUrl}/programs/${PILOT_CODE}`);
      await expectHeading(page, PILOT_NAME);
      const requirements = page.getByRole('region', { name: 'Requirements' });
      for (const title of ['Core knowledge courses', 'Supervision by a certified supervisor', 'Documents on file']) {
        await requirements.getByRole('heading', { name: title, exact: true }).waitFor();
      }
      await requirements.getByText('At least 2 hours of core knowledge.', { exact: true }).waitFor();
      await requirements.getByText('At most 1 of the 2 hours by eLearning (self-paced).', { exact: true }).waitFor();
    });
  });

  // 2. A newcomer signs up and records every kind of evidence.
  journey.step('a newcomer signs up and confirms the address from the e-mail', async () => {
    candidate = await freshPage();
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/sign-up`);
      await expectHeading(page, 'Create an account');
      await field(page, 'Your name').fill(CANDIDATE_NAME);
      await field(page, 'E-mail address').fill(candidateEmail);
      await field(page, 'Password').fill(CANDIDATE_PASSWORD);
      await field(page, 'Repeat password').fill(CANDIDATE_PASSWORD);
      await navigate(page, () => button(page, 'Create account').click());
      await expectHeading(page, 'Check your inbox');

      // The newcomer's own inbox (the server's outbox): the demo mailbox shows only the demo's
      // accounts, never a visitor's one-time links.
      const mail = await waitForMail(server.dataDir, { to: candidateEmail, subjectIncludes: 'Confirm your e-mail address' });
      await visit(page, `${server.baseUrl}/demo/mailbox`);
      const shown = page.getByRole('article').filter({ hasText: `To ${candidateEmail}` });
      assert.equal(await shown.count(), 0, `the demo mailbox does not show mail to ${candidateEmail}`);
      const link = extractLink(mail.text, '/verify-email/');
      assert.ok(link?.startsWith(`${server.baseUrl}/verify-email/`), `a confirmation link: ${link}`);
      await visit(page, link);
      await expectHeading(page, 'E-mail address confirmed');

      await signIn(page, server.baseUrl, candidateEmail, CANDIDATE_PASSWORD);
      await expectHeading(page, `Welcome, ${CANDIDATE_NAME}`);
    });
  });

  journey.step('in the credential file the candidate chooses to work towards PILOT', async () => {
    await on(candidate, async (page) => {
      const nav = page.getByRole('banner').getByRole('link', { name: 'Credential file', exact: true });
      await navigate(page, () => nav.click());
      assert.equal(path(page), '/portal');
      await expectHeading(page, 'Your credential file');
      await page.getByText('You have not chosen a credential yet.').waitFor();
      await field(page, 'Work towards').selectOption({ label: PILOT_NAME });
      await navigate(page, () => button(page, 'Start').click());
      assert.equal(path(page), `/portal/progress/${PILOT_CODE}`);
      await expectHeading(page, `Progress towards ${PILOT_NAME}`);
      await expectStatus(page, `0 of ${PILOT_REQUIREMENTS} requirements met.`);
      assert.equal(await page.locator('.requirement').count(), PILOT_REQUIREMENTS);
      // The page leads with what to do next, each step a link to the form that meets it, in
      // plain words and without a wall of red.
      const headings = trimmed(await page.getByRole('main').getByRole('heading', { level: 2 }).allTextContents());
      assert.equal(headings[0], 'What to do next', `the first section: ${headings.join(' | ')}`);
      const next = page.getByRole('region', { name: 'What to do next' });
      assert.equal(await next.getByRole('listitem').count(), PILOT_REQUIREMENTS, 'one step per requirement');
      await next.getByText('no hours logged yet: 1 needed').first().waitFor();
      assert.equal(await page.locator('.badge--danger').count(), 0, 'nothing is red before anything is done');
      assert.ok(
        headings.indexOf('Your application') > headings.indexOf('Requirements'),
        'preparing the application comes after the requirements while none is met',
      );
      await navigate(page, () => next.getByRole('link', { name: /^Record your membership/ }).click());
      assert.equal(path(page), '/portal/memberships');
    });
  });

  journey.step('membership and the ethics attestation are recorded', async () => {
    await on(candidate, async (page) => {
      const rows = await addRecord(page, server.baseUrl, 'memberships', 'Membership', {
        'Membership type': 'Professional',
        'Valid from': '2020-01-01',
      });
      assert.deepEqual(rows, [['Professional', '2020-01-01', 'no end date', 'Remove the entry of Professional']]);

      await visit(page, `${server.baseUrl}/portal/ethics`);
      await expectHeading(page, 'Code of ethics attestation');
      await page.getByRole('checkbox', { name: 'I agree to this statement' }).check();
      await navigate(page, () => button(page, 'Sign the attestation').click());
      assert.equal(path(page), '/portal');
      await page
        .getByRole('main')
        .getByRole('listitem')
        .filter({ hasText: `Code of ethics attestation — signed ${today}` })
        .waitFor();
    });
  });

  journey.step('a degree is recorded and its transcript (a PDF) attached to it', async () => {
    await on(candidate, async (page) => {
      const rows = await addRecord(page, server.baseUrl, 'degrees', 'Degrees', {
        Level: "Master's degree",
        'Field of study': 'Clinical psychology',
        Institution: 'University of Toronto',
        'Accredited school or board-approved program?': 'Yes',
        'Date awarded': '2018-06-15',
      });
      assert.deepEqual(rows[0].slice(0, 5), [
        "Master's degree",
        'Clinical psychology',
        'University of Toronto',
        'yes',
        '2018-06-15',
      ]);
      assert.match(rows[0][5], /^not yet \(attach/);
      await attachPdf(page, "Master's degree", {
        kind: 'Academic transcript',
        fileName: 'transcript.pdf',
        attachedTo: 'Degree: Clinical psychology, University of Toronto',
      });
    });
  });

  journey.step('a license and an insurance policy are recorded, each with its document', async () => {
    await on(candidate, async (page) => {
      await addRecord(page, server.baseUrl, 'licenses', 'Licenses', {
        Profession: 'Psychology',
        Jurisdiction: 'Ontario',
        'License number': 'PSY-40417',
        'Valid from': '2019-01-01',
        'Valid until': isoDay(730),
      });
      await attachPdf(page, 'Psychology', {
        kind: 'License',
        fileName: 'license.pdf',
        attachedTo: 'License PSY-40417',
      });

      await addRecord(page, server.baseUrl, 'insurance', 'Liability insurance', {
        Carrier: 'Harbour Mutual',
        'Policy number': 'HM-88213',
        'Cover starts': '2024-01-01',
        'Cover ends': isoDay(365),
      });
      await attachPdf(page, 'Harbour Mutual', {
        kind: 'Insurance face sheet',
        fileName: 'face-sheet.pdf',
        attachedTo: 'Insurance policy HM-88213',
      });
    });
  });

  journey.step('SAR hours are logged', async () => {
    await on(candidate, async (page) => {
      const rows = await addRecord(page, server.baseUrl, 'sar', 'Sexual Attitude Reassessment (SAR)', {
        Date: '2025-02-01',
        Hours: '1',
        Delivery: 'In person',
        Provider: 'Harbour Sex Therapy Institute',
        'Course title': 'SAR weekend, first morning',
      });
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0].slice(0, 3), ['2025-02-01', '1', 'In person']);
    });
  });

  journey.step('training whose discipline split does not add up is refused, the message by the split, values kept', async () => {
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/portal/training`);
      await expectHeading(page, 'Sex-therapy training');
      await fillForm(page, {
        Date: '2025-03-14',
        Hours: '1',
        Delivery: 'Live online (synchronous)',
        Provider: 'Harbour Sex Therapy Institute',
        'Course title': 'Assessment in sex therapy',
        'Theory and models of sex therapy': '0.5',
        'Assessment and diagnosis': '0.25',
      });
      await navigate(page, () => button(page, 'Add').click(), { status: 422 });
      assert.equal(path(page), '/portal/training');

      const summary = page.getByRole('alert');
      await summary.getByRole('heading', { name: 'There is a problem' }).waitFor();
      // The message is inside the group of split fields, and the group points at it.
      const split = page.getByRole('group', { name: 'Hours by disciplines' });
      const message = await expectFieldError(page, 'split-error');
      assert.equal(await split.locator('#split-error').count(), 1, 'the message is inside the split fieldset');
      assert.match(message, /^The discipline hours add up to 0\.75, not the entry's 1 hour\.$/);
      const describedBy = ((await split.getAttribute('aria-describedby')) ?? '').split(/\s+/);
      assert.ok(describedBy.includes('split-error'), `the group's aria-describedby names split-error: ${describedBy}`);
      assert.equal(
        trimmed(await summary.getByRole('link').allTextContents()).join('|'),
        message,
        'the summary links to the same message',
      );
      assert.equal(await summary.getByRole('link').getAttribute('href'), '#split');

      // What was typed is kept, for correcting.
      assert.equal(await field(page, 'Date').inputValue(), '2025-03-14');
      assert.equal(await field(page, 'Hours').inputValue(), '1');
      assert.equal(await field(page, 'Provider').inputValue(), 'Harbour Sex Therapy Institute');
      assert.equal(await field(page, 'Course title').inputValue(), 'Assessment in sex therapy');
      assert.equal(await field(page, 'Theory and models of sex therapy').inputValue(), '0.5');
      assert.equal(await field(page, 'Assessment and diagnosis').inputValue(), '0.25');
      assert.equal(
        await field(page, 'Delivery').evaluate((select) => select.selectedOptions[0]?.textContent.trim()),
        'Live online (synchronous)',
      );
      await page.getByText('Nothing recorded yet.').waitFor();
    });
  });

  journey.step('corrected, the training entry is added with its split', async () => {
    await on(candidate, async (page) => {
      await field(page, 'Assessment and diagnosis').fill('0.5');
      await navigate(page, () => button(page, 'Add').click());
      const url = new URL(page.url());
      assert.equal(url.pathname, '/portal/training');
      assert.match(url.search, /^\?added=1&entry=[0-9a-z-]+$/);
      await expectStatus(page, 'Added.');
      const rows = await tableRows(page.getByRole('region', { name: 'Table of entries on file' }));
      assert.equal(rows.length, 1);
      assert.deepEqual(rows[0].slice(0, 5), [
        '2025-03-14',
        '1',
        'Live online (synchronous)',
        'Harbour Sex Therapy Institute',
        'Assessment in sex therapy',
      ]);
      // The parts of the split, in whichever order the table lists them.
      assert.deepEqual(rows[0][5].split('; ').sort(), [
        'Assessment and diagnosis: 0.5',
        'Theory and models of sex therapy: 0.5',
      ]);
    });
  });

  // 3. Core knowledge by CSV import.
  journey.step('two past core-knowledge courses are imported from a CSV file: previewed, then committed', async () => {
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/portal/import`);
      await expectHeading(page, 'Import past courses');
      await field(page, 'CSV file').setInputFiles({
        name: 'past-courses.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(PAST_COURSES_CSV, 'utf8'),
      });
      await navigate(page, () => button(page, 'Check the file').click());
      assert.equal(path(page), '/portal/import');
      await expectHeading(page, 'Check the import');
      await page.getByText('past-courses.csv: 2 rows read and checked.').waitFor();
      await page.getByText('2 of 2 rows ready', { exact: true }).waitFor();
      const preview = await tableRows(page.getByRole('region', { name: 'Table of rows ready to import' }));
      assert.deepEqual(
        preview.map((cells) => [cells[1], cells[2], cells[3], cells[4]]),
        [
          ['Core knowledge', '2024-03-08', '1', 'eLearning (self-paced)'],
          ['Core knowledge', '2024-05-17', '1', 'In person'],
        ],
      );
      assert.equal(preview[1][6], 'Sexual function, from optimal to problematic', 'the quoted title keeps its comma');

      await navigate(page, () => button(page, 'Import 2 entries').click());
      assert.equal(path(page), '/portal/import');
      const notice = page.getByRole('status').filter({ hasText: 'Imported 2 entries.' });
      await notice.waitFor();
      const link = notice.getByRole('link', { name: '2 entries in core knowledge (2 hours)', exact: true });
      await navigate(page, () => link.click());
      assert.equal(path(page), '/portal/core-knowledge');
      await expectHeading(page, 'On file (2 hours)');
    });
  });

  // 4. Supervision: a contract signed by both, clinical hours, a countersigned session.
  journey.step('the candidate asks Dr. Helen Marsh to supervise them towards PILOT, from today', async () => {
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/portal/supervision`);
      await expectHeading(page, 'Supervision');
      await page.getByText('No contracts yet.', { exact: false }).waitFor();
      const request = page.getByRole('region', { name: 'Ask a supervisor to supervise you' });
      await field(request, "Supervisor's e-mail address").fill(SUPERVISOR_EMAIL);
      await field(request, 'Credential').selectOption({ label: PILOT_NAME });
      await field(request, 'Supervision starts on').fill(today);
      const primary = request.getByRole('checkbox', { name: 'This is my primary supervisor' });
      assert.equal(await primary.isChecked(), true, 'primary is ticked by default');
      await request.getByRole('checkbox', { name: "I accept that either of us may end this contract with 30 days' notice" }).check();
      await request.getByRole('checkbox', { name: 'I understand this contract does not guarantee certification' }).check();
      await navigate(page, () => button(request, 'Sign and send the contract').click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, '/portal/supervision?done=requested');
      await expectStatus(page, 'Contract signed and sent to your supervisor for their signature.');
      const contracts = await tableRows(page.getByRole('region', { name: 'Table of your contracts' }));
      assert.deepEqual(contracts, [
        [SUPERVISOR_NAME, PILOT_CODE, today, 'yes', "awaiting the supervisor's signature", ''],
      ]);
      await page.getByText('You can log sessions once a supervisor has signed your contract.').waitFor();
    });
  });

  journey.step('Dr. Marsh opens the contract from "Contracts waiting for your signature" and signs it', async () => {
    supervisor = await freshPage();
    await on(supervisor, async (page) => {
      await signIn(page, server.baseUrl, SUPERVISOR_EMAIL, DEMO_PASSWORD);
      const nav = page.getByRole('banner').getByRole('link', { name: 'Supervisees', exact: true });
      await navigate(page, () => nav.click());
      assert.equal(path(page), '/supervision');
      await expectHeading(page, 'Your supervisees');
      const waiting = page.getByRole('region', { name: 'Contracts waiting for your signature' });
      const link = waiting.getByRole('link', { name: `${CANDIDATE_NAME}, ${PILOT_CODE}, from ${today}`, exact: true });
      await navigate(page, () => link.click());
      assert.match(path(page), /^\/supervision\/contracts\/[^/]+$/);
      await expectHeading(page, 'Supervision contract');
      const terms = page.getByRole('region', { name: 'Terms' });
      assert.ok((await terms.textContent()).includes(CANDIDATE_NAME), 'the terms name the candidate');

      const sign = page.getByRole('region', { name: 'Sign or decline' });
      await button(sign, 'Sign the contract').waitFor();
      await sign.getByRole('checkbox', { name: /^I accept these terms/ }).check();
      await navigate(page, () => button(sign, 'Sign the contract').click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, '/supervision?done=signed');
      await expectStatus(page, 'Contract signed. Your supervisee can now log sessions under it.');
      assert.equal(
        await page.getByRole('link', { name: `${CANDIDATE_NAME}, ${PILOT_CODE}, from ${today}` }).count(),
        0,
        'the contract no longer waits for a signature',
      );
      const contracts = await tableRows(page.getByRole('region', { name: 'Table of contracts' }));
      const row = contracts.find((cells) => cells[0] === CANDIDATE_NAME);
      assert.deepEqual(row, [CANDIDATE_NAME, PILOT_CODE, today, 'yes', 'active', '']);
    });
  });

  journey.step('the candidate logs 2 clinical hours and a 1-hour individual session, both today', async () => {
    await on(candidate, async (page) => {
      await addRecord(page, server.baseUrl, 'clinical', 'Clinical hours', {
        Date: today,
        Hours: '2',
        Delivery: 'In person',
        Setting: 'Community sexual-health clinic',
        'Kind of work': 'couples therapy',
      });

      await visit(page, `${server.baseUrl}/portal/supervision`);
      await expectHeading(page, 'Supervision');
      const session = page.getByRole('region', { name: 'Log a supervision session' });
      assert.equal(
        await field(session, 'Contract').evaluate((select) => select.selectedOptions[0]?.textContent.trim()),
        `${SUPERVISOR_NAME} (${PILOT_CODE}, from ${today})`,
      );
      await field(session, 'Date').fill(today);
      await field(session, 'Hours').fill('1');
      await field(session, 'Format').selectOption({ label: 'Individual' });
      await field(session, 'Topic (optional)').fill('Case formulation for desire discrepancy');
      await navigate(page, () => button(session, 'Log session').click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, '/portal/supervision?done=logged');
      await expectStatus(page, 'Session logged. It counts once your supervisor countersigns it.');
      await page.getByText('0 hours countersigned, 1 hour waiting for your supervisor.').waitFor();
      const sessions = await tableRows(page.getByRole('region', { name: 'Table of sessions' }));
      assert.deepEqual(sessions, [[today, '1', SUPERVISOR_NAME, 'individual', 'waiting', '']]);
    });
  });

  journey.step('Dr. Marsh countersigns the session from her queue', async () => {
    await on(supervisor, async (page) => {
      await visit(page, `${server.baseUrl}/supervision`);
      const queue = page.getByRole('region', { name: /^Sessions to countersign/ });
      await queue.getByRole('heading', { name: `${CANDIDATE_NAME}: ${today}, 1 hour` }).waitFor();
      const countersign = button(queue, `Countersign ${CANDIDATE_NAME}'s session of ${today}`);
      await navigate(page, () => countersign.click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, '/supervision?done=countersigned');
      await expectStatus(page, 'Session countersigned.');
      assert.equal(await queue.getByRole('heading', { name: `${CANDIDATE_NAME}: ${today}` }).count(), 0);
    });
  });

  journey.step('the candidate sees the session countersigned', async () => {
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/portal/supervision`);
      await page.getByText('1 hour countersigned, 0 hours waiting for your supervisor.').waitFor();
      const sessions = await tableRows(page.getByRole('region', { name: 'Table of sessions' }));
      assert.deepEqual(sessions, [[today, '1', SUPERVISOR_NAME, 'individual', 'countersigned', '']]);
    });
  });

  // 5. All met; the application is prepared, endorsed, paid and submitted.
  journey.step('every PILOT requirement shows "Met"', async () => {
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/portal/progress/${PILOT_CODE}`);
      await expectHeading(page, `Progress towards ${PILOT_NAME}`);
      await expectStatus(page, 'Every requirement is met.');
      await page
        .getByText(
          `Rule version ${PILOT_VERSION} applies to you: your first supervision contract was signed on ${today}, and this version judges candidates whose first supervision contract was signed on any day (it is the only version).`,
        )
        .waitFor();
      const requirements = page.getByRole('region', { name: 'Requirements' }).getByRole('listitem');
      const items = await requirements.evaluateAll((lis) =>
        lis
          .filter((li) => li.classList.contains('requirement'))
          .map((li) => ({
            id: li.id,
            classes: [...li.classList],
            badge: li.querySelector('h3 .badge')?.textContent.trim(),
            badgeClasses: [...(li.querySelector('h3 .badge')?.classList ?? [])],
            shortfalls: li.querySelectorAll('.shortfalls li').length,
          })),
      );
      assert.equal(items.length, PILOT_REQUIREMENTS, `${PILOT_REQUIREMENTS} requirements listed`);
      for (const item of items) {
        assert.equal(item.badge, 'Met', `${item.id} shows "Met"`);
        assert.ok(item.badgeClasses.includes('badge--success'), `${item.id}'s badge is green`);
        assert.ok(item.classes.includes('requirement--met'), `${item.id} has the met class`);
        assert.ok(!item.classes.includes('requirement--not_met'), `${item.id} is not marked not met`);
        assert.equal(item.shortfalls, 0, `${item.id} lists no shortfall`);
      }
      assert.equal(await page.locator('.requirement--not_met, .requirement--pending').count(), 0);
      // The eLearning course counts up to the cap: exactly the 2 hours needed.
      await page.getByText('2 of 2 hours', { exact: true }).first().waitFor();
    });
  });

  journey.step('the candidate prepares the application: waiting for the endorsement and the fee', async () => {
    await on(candidate, async (page) => {
      await navigate(page, () => button(page, 'Prepare the application').click());
      assert.equal(path(page), `/portal/progress/${PILOT_CODE}`);
      const application = page.getByRole('region', { name: 'Your application' });
      const checklist = trimmed(await application.locator('.checklist li').allTextContents()).map((t) =>
        t.replace(/\s+/g, ' '),
      );
      assert.deepEqual(checklist, [
        'Requirements: all met',
        `Endorsement: waiting for ${SUPERVISOR_NAME}, your primary supervisor`,
        'Fee (50.00 USD): not yet recorded by the board',
      ]);
      await button(application, 'Submit the application').waitFor();
    });
  });

  journey.step('Dr. Marsh endorses the application from her desk', async () => {
    await on(supervisor, async (page) => {
      await visit(page, `${server.baseUrl}/supervision`);
      const endorse = page.getByRole('region', { name: 'Applications to endorse' });
      await endorse.getByText(`${CANDIDATE_NAME}, ${PILOT_CODE}`).waitFor();
      await navigate(page, () => button(endorse, `Endorse ${CANDIDATE_NAME}'s application`).click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, '/supervision?done=endorsed');
      await expectStatus(page, 'Application endorsed.');
      assert.equal(await page.getByRole('region', { name: 'Applications to endorse' }).count(), 0);
    });
  });

  journey.step('board staff sign in with a code, record the fee as paid and review the groups', async () => {
    const page = await freshPage();
    await on(page, async () => {
      await signIn(page, server.baseUrl, STAFF_EMAIL, DEMO_PASSWORD, { withCode: true });
      const nav = page.getByRole('banner').getByRole('link', { name: 'Applications', exact: true });
      await navigate(page, () => nav.click());
      assert.equal(path(page), '/admin/applications');
      await expectHeading(page, 'Applications');
      const table = page.getByRole('region', { name: 'Table of applications' });
      const row = (await tableRows(table)).find((cells) => cells[0] === CANDIDATE_NAME);
      assert.deepEqual(row?.slice(0, 5), [CANDIDATE_NAME, `${PILOT_CODE} (${PILOT_VERSION})`, 'Being prepared', 'yes', 'unpaid']);
      await navigate(page, () => button(table, `Paid by ${CANDIDATE_NAME}`).click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, '/admin/applications?done=fee');
      await expectStatus(page, 'Fee recorded.');
      const paidRow = (await tableRows(page.getByRole('region', { name: 'Table of applications' }))).find(
        (cells) => cells[0] === CANDIDATE_NAME,
      );
      assert.equal(paidRow[4], 'paid');

      const groups = page.getByRole('banner').getByRole('link', { name: 'Groups', exact: true });
      await navigate(page, () => groups.click());
      assert.equal(path(page), '/admin/supervision-groups');
      await expectHeading(page, 'Supervision groups');
      await page.getByRole('heading', { name: 'Tuesday peer consultation group', level: 2 }).waitFor();
    });
  });

  journey.step('the candidate submits the application', async () => {
    await on(candidate, async (page) => {
      await visit(page, `${server.baseUrl}/portal/progress/${PILOT_CODE}`);
      const application = page.getByRole('region', { name: 'Your application' });
      const checklist = trimmed(await application.locator('.checklist li').allTextContents()).map((t) =>
        t.replace(/\s+/g, ' '),
      );
      assert.deepEqual(checklist, [
        'Requirements: all met',
        `Endorsement: endorsed by ${SUPERVISOR_NAME}`,
        'Fee (50.00 USD): paid',
      ]);
      await navigate(page, () => button(application, 'Submit the application').click());
      const url = new URL(page.url());
      assert.equal(`${url.pathname}${url.search}`, `/portal/progress/${PILOT_CODE}?submitted=1`);
      await page.getByRole('status').filter({ hasText: 'Application submitted.' }).waitFor();
      await application.getByText(`under rule version ${PILOT_VERSION}`).waitFor();
      assert.equal(await button(application, 'Submit the application').count(), 0, 'nothing left to submit');
    });
  });

  // 6. A candidate half-way through is told exactly what is missing.
  journey.step('Alex Moreno, half-way towards CST, is shown the exact shortfalls on submitting', async () => {
    const page = await freshPage();
    await on(page, async () => {
      await signIn(page, server.baseUrl, HALFWAY_EMAIL, DEMO_PASSWORD);
      await visit(page, `${server.baseUrl}/portal/supervision`);
      await expectHeading(page, 'Supervision');
      await page.getByRole('region', { name: 'Table of your contracts' }).getByText(SUPERVISOR_NAME).first().waitFor();

      await visit(page, `${server.baseUrl}/portal/progress/CST`);
      await expectHeading(page, 'Progress towards Certified Sex Therapist');
      await navigate(page, () => button(page, 'Prepare the application').click());
      assert.equal(path(page), '/portal/progress/CST');
      const application = page.getByRole('region', { name: 'Your application' });
      await navigate(page, () => button(application, 'Submit the application').click(), { status: 409 });
      const blocked = page.getByRole('alert').filter({ hasText: 'The application cannot be submitted yet' });
      await blocked.getByRole('heading', { name: 'The application cannot be submitted yet' }).waitFor();
      const missing = trimmed(await blocked.getByRole('listitem').allTextContents());
      for (const shortfall of ALEX_SHORTFALLS) {
        assert.ok(missing.includes(shortfall), `"${shortfall}" among the shortfalls:\n${missing.join('\n')}`);
      }
      for (const step of [
        'Endorsement: your primary supervisor has not endorsed the application yet.',
        'Fee: the board has not recorded the application fee as paid or waived.',
      ]) {
        assert.ok(missing.includes(step), `"${step}" among the shortfalls:\n${missing.join('\n')}`);
      }
      assert.equal(await page.getByRole('status').filter({ hasText: 'Application submitted.' }).count(), 0);
    });
  });
});

// 7. On a phone, 390 px wide: the candidate's records and their account page fit the screen.
// Record tables become one labelled card per row, so key columns ("Credits counted") are on
// screen, and no hidden label widens the page.
const PHONE = { width: 390, height: 844 };

/** Asserts that nothing on the page is wider than the phone and every table cell is on screen. */
async function expectFitsPhone(page, label) {
  const layout = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const offScreen = [...document.querySelectorAll('td')]
      .filter((cell) => cell.getClientRects().length > 0)
      .map((cell) => ({ cell, rect: cell.getBoundingClientRect() }))
      .filter(({ rect }) => rect.left < -0.5 || rect.right > width + 0.5)
      .map(({ cell }) => `${cell.dataset.label ?? 'a cell'}: ${cell.textContent.trim().slice(0, 40)}`);
    return { scrollWidth: document.documentElement.scrollWidth, width, offScreen };
  });
  assert.equal(layout.width, PHONE.width, `${label}: the viewport is a phone's`);
  assert.ok(layout.scrollWidth <= PHONE.width, `${label}: the page is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen`);
  assert.deepEqual(layout.offScreen, [], `${label}: every table cell is on screen`);
}

forEachEngine('candidate-phone', (engine, journey) => {
  let server;
  const contexts = [];

  /** A phone-sized page in a fresh browser context (own cookies). */
  async function phonePage() {
    const context = await newContext(getBrowser(), { viewport: PHONE, isMobile: true, hasTouch: true });
    contexts.push(context);
    const page = await context.newPage();
    journey.activePage = page;
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

  journey.step("Alex Moreno's records and account page fit a 390 px screen, axe finds nothing", async () => {
    const page = await phonePage();
    await signIn(page, server.baseUrl, HALFWAY_EMAIL, DEMO_PASSWORD);
    const records = [
      'memberships',
      'degrees',
      'licenses',
      'insurance',
      'core-knowledge',
      'training',
      'sar',
      'clinical',
      'supervision',
      'documents',
      'progress/CST',
    ];
    for (const record of records) {
      await visit(page, `${server.baseUrl}/portal/${record}`);
      await expectFitsPhone(page, `/portal/${record}`);
    }
    // The cards keep the table's rows and cells for assistive technology.
    await visit(page, `${server.baseUrl}/portal/clinical`);
    const rows = await tableRows(page.getByRole('region', { name: 'Table of entries on file' }));
    assert.ok(rows.length > 0 && rows.every((cells) => cells.length === 6), `rows of 6 cells: ${JSON.stringify(rows)}`);
    const label = await page.locator('td[data-label="Kind of work"]').first().evaluate((cell) => getComputedStyle(cell, '::before').content);
    assert.match(label, /Kind of work/, 'each cell shows its column name on a phone');

    await visit(page, `${server.baseUrl}/account/security`);
    await expectHeading(page, 'Account and security');
    await expectFitsPhone(page, '/account/security');
  });

  journey.step("Rosa Delgado's renewal credits fit, with the credits counted on screen", async () => {
    const page = await phonePage();
    await signIn(page, server.baseUrl, 'expiring@demo.sensate.test', DEMO_PASSWORD);
    await visit(page, `${server.baseUrl}/portal/credentials`);
    await expectFitsPhone(page, '/portal/credentials');
    const renewal = page.getByRole('main').locator('a[href$="/renewal"]').first();
    await navigate(page, () => renewal.click());
    assert.match(path(page), /^\/portal\/credentials\/[^/]+\/renewal$/);
    await expectFitsPhone(page, path(page));
    const counted = page.locator('td[data-label="Credits counted"]');
    assert.ok((await counted.count()) > 0, 'the credits counted are listed');
    for (const cell of await counted.all()) {
      assert.ok(await cell.isVisible(), 'each "Credits counted" cell is visible');
    }
  });
});
