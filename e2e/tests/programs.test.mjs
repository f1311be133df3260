// The credential programs, in a real browser against the real server started with `--demo`,
// once on each database engine: a visitor reads the four programs and the Certified Sex
// Therapist's rules (requirements in words, the rule versions, the definition file); then the
// demo board administrator imports a new CST rule version, first as a broken file (refused,
// nothing stored, the problem named with its line, the text kept in the box), then corrected
// in the box and imported to take effect in the future, so the current version stays in force
// and the new one is readable with a warning. Every page visited is checked with axe.
//
// Needs SENSATE_BIN (the built server) and, for the PostgreSQL run, SENSATE_TEST_POSTGRES_URL
// (default postgres://postgres@127.0.0.1:5432/postgres). `scripts/test` provides both.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';

import { checkA11y, navigate, newContext, visit } from '../support/browser.mjs';
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
import { startServer } from '../support/server.mjs';
import { STEP_SECONDS, timeStep, waitForStepAfter } from '../support/totp.mjs';

const DEMO_PASSWORD = 'demo-sensate-2026';
const ADMIN_EMAIL = 'admin@demo.sensate.test';
const ADMIN_NAME = 'Morgan Ellis';

/** The programs as the board presents them: therapist, counselor, educator, supervisor. */
const PROGRAMS = [
  {
    code: 'CST',
    name: 'Certified Sex Therapist',
    explanation: 'A licensed mental-health or medical clinician trained to provide psychotherapy for sexual concerns.',
  },
  {
    code: 'CSC',
    name: 'Certified Sexuality Counselor',
    explanation:
      'A human-service professional who counsels on sexual concerns; not a psychotherapist, and no license is required.',
  },
  {
    code: 'CSE',
    name: 'Certified Sexuality Educator',
    explanation: 'A professional who teaches about sexuality to groups, students and communities.',
  },
  {
    code: 'CST-S',
    name: 'Certified Sex Therapist Supervisor',
    explanation: 'A certified sex therapist trained to supervise candidates working towards certification.',
  },
];

// The shipped CST definition, and a new version of it whose eLearning cap (95) is above the
// requirement's 90 hours: the parser must name that line.
const CST_SOURCE = readFileSync(new URL('../../programs/cst.toml', import.meta.url), 'utf8');
const CURRENT_VERSION = '2025.T.1';
const NEW_VERSION = '2026.T.1';
assert.ok(CST_SOURCE.includes(`version = "${CURRENT_VERSION}"`), `programs/cst.toml is version ${CURRENT_VERSION}`);
assert.equal(CST_SOURCE.split('max = 75').length, 2, 'programs/cst.toml has one "max = 75"');
const BROKEN_CST = CST_SOURCE.replace(`version = "${CURRENT_VERSION}"`, `version = "${NEW_VERSION}"`).replace(
  'max = 75',
  'max = 95',
);
const CAP_LINE = CST_SOURCE.split('\n').findIndex((line) => line.includes('max = 75')) + 1;
const CAP_PROBLEM = `line ${CAP_LINE}, requirement.core.caps[0].max: the cap (95 hours) is above the requirement's total (90 hours)`;
const FIXED_CST = BROKEN_CST.replace('max = 95', 'max = 70').replace(
  'effective_from = 2025-01-01',
  'effective_from = 2099-01-01',
);
assert.ok(FIXED_CST.includes('effective_from = 2099-01-01'), 'programs/cst.toml takes effect from 2025-01-01');

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
  return code;
}

/** Waits for an element of `scope` whose whole text is `text` (one requirement line, say). */
async function expectText(scope, text) {
  await scope.getByText(text, { exact: true }).first().waitFor();
}

/** The rows of the rule-version table, as { version, linked, status }. */
async function versionRows(page) {
  const table = page.getByRole('region', { name: 'Table of rule versions' });
  const rows = table.getByRole('row').filter({ has: page.getByRole('cell') });
  const result = [];
  for (const row of await rows.all()) {
    const cells = row.getByRole('cell');
    result.push({
      version: (await cells.nth(0).textContent()).trim(),
      linked: (await cells.nth(0).getByRole('link').count()) === 1,
      status: (await cells.nth(3).textContent()).trim(),
    });
  }
  return result;
}

forEachEngine('programs', (engine, journey) => {
  let server;
  let context;
  let page;

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

  // 1. A visitor: the header's "Credentials" link, the four programs, the CST's rules.
  journey.step('a visitor finds the four programs through "Credentials", the therapist first', async () => {
    await visit(page, `${server.baseUrl}/`);
    const credentials = page.getByRole('banner').getByRole('link', { name: 'Credentials', exact: true });
    await navigate(page, () => credentials.click());
    assert.equal(path(page), '/programs');
    await expectHeading(page, 'Credential programs');
    assert.equal(await credentials.getAttribute('aria-current'), 'page', 'the nav marks the current page');

    const cards = page.getByRole('main').getByRole('region');
    assert.equal(await cards.count(), PROGRAMS.length, 'one card per program');
    const headings = trimmed(await cards.getByRole('heading', { level: 2 }).allTextContents()).map((h) =>
      h.replace(/\s+/g, ' '),
    );
    assert.deepEqual(
      headings,
      PROGRAMS.map((p) => `${p.name} ${p.code}`),
      "the programs in the board's order, Certified Sex Therapist first",
    );
    for (const [index, program] of PROGRAMS.entries()) {
      const card = cards.nth(index);
      await card.getByRole('link', { name: program.name, exact: true }).waitFor();
      await expectText(card, program.explanation);
    }
    await expectText(cards.nth(0), CURRENT_VERSION);
  });

  journey.step('the Certified Sex Therapist page gives the requirements in words and the versions', async () => {
    const link = page.getByRole('main').getByRole('link', { name: 'Certified Sex Therapist', exact: true });
    await navigate(page, () => link.click());
    assert.equal(path(page), '/programs/CST');
    await expectHeading(page, 'Certified Sex Therapist');
    const main = page.getByRole('main');
    await expectText(main, PROGRAMS[0].explanation);
    assert.equal(await main.getByText('not the version in force today').count(), 0, 'no warning on the version in force');

    const requirements = page.getByRole('region', { name: 'Requirements' });
    await requirements.getByRole('heading', { name: 'Core knowledge courses', exact: true }).waitFor();
    for (const line of [
      'At least 90 hours of core knowledge.',
      'At most 75 of the 90 hours by eLearning (self-paced).',
      'At most 30 of the 60 hours by eLearning (self-paced).',
      'At most 6 hours count in any calendar month.',
    ]) {
      await expectText(requirements, line);
    }

    await expectHeading(page, 'Rule versions');
    assert.deepEqual(await versionRows(page), [{ version: CURRENT_VERSION, linked: false, status: 'in force' }]);
  });

  journey.step('the definition file opens from its <details>, and is checked with axe open', async () => {
    const summary = page.getByText(`The definition file of version ${CURRENT_VERSION}`, { exact: true });
    const source = page.getByLabel('Definition file', { exact: true });
    assert.equal(await source.isVisible(), false, 'the file is folded away at first');
    await summary.click();
    await source.waitFor({ state: 'visible' });
    const text = await source.textContent();
    assert.ok(text.includes(`version = "${CURRENT_VERSION}"`), 'the file shown is the version in force');
    assert.ok(text.includes('caps = [{ modes = ["elearning"], max = 75 }]'), 'the file shown is the shipped one');
    await checkA11y(page, `${page.url()} (definition file open)`);
  });

  // 2. The demo board administrator imports a new CST version: broken first, then corrected.
  journey.step('the demo admin signs in with the password and a code from /demo', async () => {
    const code = await demoCode(page, server.baseUrl, ADMIN_EMAIL);
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(ADMIN_EMAIL);
    await field(page, 'Password').fill(DEMO_PASSWORD);
    await navigate(page, () => button(page, 'Sign in').click());
    assert.equal(path(page), '/sign-in/two-factor');
    await field(page, 'Code').fill(code);
    await navigate(page, () => button(page, 'Continue').click());
    assert.equal(path(page), '/dashboard');
    await expectHeading(page, `Welcome, ${ADMIN_NAME}`);
  });

  journey.step('"Programs" in the nav opens the import page, listing the versions in force', async () => {
    const programs = page.getByRole('banner').getByRole('link', { name: 'Programs', exact: true });
    await navigate(page, () => programs.click());
    assert.equal(path(page), '/admin/programs');
    await expectHeading(page, 'Manage credential programs');
    assert.equal(await programs.getAttribute('aria-current'), 'page');
    const table = page.getByRole('region', { name: 'Table of programs in force' });
    const cst = table.getByRole('row').filter({ has: page.getByRole('cell', { name: 'CST', exact: true }) });
    assert.equal(await cst.count(), 1, 'CST is listed once');
    await cst.getByRole('cell', { name: CURRENT_VERSION, exact: true }).waitFor();
    assert.equal(await table.getByRole('row').filter({ has: page.getByRole('cell') }).count(), PROGRAMS.length);
  });

  journey.step('a broken CST file is refused: the problem and its line named, the text kept to correct', async () => {
    await field(page, 'Definition file (.toml)').setInputFiles({
      name: 'cst.toml',
      mimeType: 'text/plain',
      buffer: Buffer.from(BROKEN_CST, 'utf8'),
    });
    await navigate(page, () => button(page, 'Import').click(), { status: 422 });
    assert.equal(path(page), '/admin/programs');

    const summary = page.getByRole('alert').filter({ hasText: 'There is a problem' });
    await summary.getByRole('heading', { name: 'There is a problem' }).waitFor();
    await summary.getByText('nothing was stored: 1 problem found').waitFor();

    const problems = page.getByRole('region', { name: 'Problems in the file' });
    assert.deepEqual(trimmed(await problems.getByRole('listitem').allTextContents()), [CAP_PROBLEM]);

    const box = field(page, "Or paste the file's text");
    assert.equal(await box.inputValue(), BROKEN_CST, "the refused file's text is in the box");
    const error = await expectFieldError(page, 'definition-error');
    assert.match(error, /nothing was stored: 1 problem found/);
    await assertDescribedBy(box, 'definition-error');
  });

  journey.step('nothing of the refused file was stored', async () => {
    // In a second tab, so the refused form stays as it is for correcting.
    const tab = await context.newPage();
    journey.activePage = tab;
    try {
      await visit(tab, `${server.baseUrl}/programs/CST/${NEW_VERSION}`, { status: 404 });
      await expectHeading(tab, 'Page not found');
    } finally {
      journey.activePage = page;
      await tab.close();
    }
  });

  journey.step('corrected in the box and imported, it is confirmed', async () => {
    const box = field(page, "Or paste the file's text");
    const corrected = (await box.inputValue())
      .replace('max = 95', 'max = 70')
      .replace('effective_from = 2025-01-01', 'effective_from = 2099-01-01');
    assert.equal(corrected, FIXED_CST);
    await box.fill(corrected);
    await navigate(page, () => button(page, 'Import').click());
    assert.equal(path(page), '/admin/programs');
    await page
      .getByRole('status')
      .filter({ hasText: `Certified Sex Therapist (CST) rule version ${NEW_VERSION} imported.` })
      .waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'no problem is shown after the import');
    assert.equal(await field(page, "Or paste the file's text").inputValue(), '', 'the box is empty again');
    // The new version takes effect in 2099: today's version is still the one listed.
    const table = page.getByRole('region', { name: 'Table of programs in force' });
    const cst = table.getByRole('row').filter({ has: page.getByRole('cell', { name: 'CST', exact: true }) });
    await cst.getByRole('cell', { name: CURRENT_VERSION, exact: true }).waitFor();
  });

  journey.step(`${CURRENT_VERSION} stays in force, and the table links to ${NEW_VERSION}`, async () => {
    await visit(page, `${server.baseUrl}/programs/CST`);
    await expectHeading(page, 'Certified Sex Therapist');
    const requirements = page.getByRole('region', { name: 'Requirements' });
    await expectText(requirements, 'At most 75 of the 90 hours by eLearning (self-paced).');
    assert.equal(await page.getByRole('main').getByText('not the version in force today').count(), 0);

    const rows = await versionRows(page);
    const byVersion = Object.fromEntries(rows.map((row) => [row.version, row]));
    assert.equal(rows.length, 2, `two versions listed: ${JSON.stringify(rows)}`);
    assert.deepEqual(byVersion[CURRENT_VERSION], { version: CURRENT_VERSION, linked: false, status: 'in force' });
    assert.deepEqual(byVersion[NEW_VERSION], { version: NEW_VERSION, linked: true, status: 'other version' });
  });

  journey.step(`the ${NEW_VERSION} page warns it is not in force today and shows the new cap`, async () => {
    const versions = page.getByRole('region', { name: 'Table of rule versions' });
    await navigate(page, () => versions.getByRole('link', { name: NEW_VERSION, exact: true }).click());
    assert.equal(path(page), `/programs/CST/${NEW_VERSION}`);
    await expectHeading(page, 'Certified Sex Therapist');

    const warning = page
      .getByRole('status')
      .filter({ hasText: `You are reading rule version ${NEW_VERSION}, which is not the version in force today.` });
    await warning.waitFor();
    await warning.getByRole('link', { name: 'Read the current rules' }).waitFor();
    await expectText(page.getByRole('main'), `${NEW_VERSION}, in force from 2099-01-01`);
    await expectText(
      page.getByRole('main'),
      'candidates whose first supervision contract was signed on or after 2099-01-01',
    );

    const requirements = page.getByRole('region', { name: 'Requirements' });
    await expectText(requirements, 'At most 70 of the 90 hours by eLearning (self-paced).');
    assert.equal(await requirements.getByText('At most 75 of the 90 hours').count(), 0);

    const rows = await versionRows(page);
    assert.deepEqual(
      rows.map(({ version, linked }) => ({ version, linked })).sort((a, b) => a.version.localeCompare(b.version)),
      [
        { version: CURRENT_VERSION, linked: true },
        { version: NEW_VERSION, linked: false },
      ],
      'on this page the version shown is the one not linked',
    );

    await navigate(page, () => warning.getByRole('link', { name: 'Read the current rules' }).click());
    assert.equal(path(page), '/programs/CST');
  });
});
