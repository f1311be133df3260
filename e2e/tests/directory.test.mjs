// The public directory and a referral, in a real browser against the server started with
// `--demo` (and the gazetteer scripts/gazetteer fetched), once on each database engine;
// every page checked with axe.
//
// 1. Dr. Noor Haddad (the demo's certified sex therapist) fills her profile: a postal code
//    that does not exist comes back with suggestions beside the field and nothing lost; then
//    she moves to 94110, adds Spanish and saves.
// 2. A member of the public searches by postal code, radius and concern, finds her, opens the
//    profile and reads what a certified sex therapist can help with.
// 3. Dr. Paul Novak (referring provider, two-factor) refers a client from her profile; an
//    incomplete referral comes back with each problem by its field.
// 4. Dr. Haddad reads the referral and accepts it; Dr. Novak sees it accepted.
// 5. Board staff suspend her credential; the same search no longer finds her, at once.
//
// Needs SENSATE_BIN (the places are the ones built into the binary) and, for
// PostgreSQL, SENSATE_TEST_POSTGRES_URL.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { navigate, newContext, visit } from '../support/browser.mjs';
import { DEMO_PASSWORD, expectStatus, signIn } from '../support/demo.mjs';
import { button, expectHeading, field, forEachEngine, path, useBrowser } from '../support/journey.mjs';
import { assertValidFhir } from '../support/fhir.mjs';
import { startServer } from '../support/server.mjs';

const HADDAD = { email: 'certified@demo.sensate.test', name: 'Dr. Noor Haddad' };
const NOVAK = { email: 'referrer@demo.sensate.test', name: 'Dr. Paul Novak' };
const STAFF = 'staff@demo.sensate.test';
const CLIENT = 'Jesse Moreno';

const getBrowser = useBrowser();

forEachEngine('directory', (engine, journey) => {
  let server;
  const contexts = [];
  const pages = {};
  let referralUrl;

  async function pageOf(who) {
    if (!pages[who]) {
      const context = await newContext(getBrowser());
      contexts.push(context);
      pages[who] = await context.newPage();
    }
    journey.activePage = pages[who];
    return pages[who];
  }

  async function signedIn(who, email, withCode) {
    const page = await pageOf(who);
    if (!page.url().startsWith(server.baseUrl)) await signIn(page, server.baseUrl, email, DEMO_PASSWORD, { withCode });
    return page;
  }

  /** Searches the directory as the public does: postal code, radius, one concern. */
  async function search(page, place, radius, concern) {
    await visit(page, `${server.baseUrl}/directory`);
    await expectHeading(page, 'Find a certified professional');
    await field(page, 'Postal code or city').fill(place);
    await page.getByLabel('Within', { exact: true }).selectOption(radius);
    await page.getByRole('group', { name: 'Concern' }).getByLabel(concern).check();
    await navigate(page, () => button(page, 'Search').click());
  }

  before(async () => {
    // A clean data directory and nothing else: the places come from the binary itself, as on
    // a newcomer's first `serve --demo`.
    server = await startServer({ engine, args: ['--demo'] });
    journey.server = server;
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await server?.stop();
  });

  journey.step('a newcomer finds professionals near the page\'s own example ZIP with no other step', async () => {
    const visitor = await pageOf('public');
    await visit(visitor, `${server.baseUrl}/directory`);
    await field(visitor, 'Postal code or city').fill('94108');
    await visitor.getByLabel('Within', { exact: true }).selectOption('25');
    await navigate(visitor, () => button(visitor, 'Search').click());
    const heading = await visitor.getByRole('heading', { level: 2, name: /professionals? near San Francisco, CA 94108/ }).textContent();
    assert.ok(Number.parseInt(heading, 10) >= 2, `professionals found within 25 km: ${heading}`);
  });

  journey.step('on a phone the results come first and the filters fold behind one button', async () => {
    const context = await newContext(getBrowser(), { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    contexts.push(context);
    const phone = await context.newPage();
    journey.activePage = phone;
    await visit(phone, `${server.baseUrl}/directory?place=94108&radius=25`);
    const results = phone.getByRole('heading', { level: 2, name: /professionals? near San Francisco, CA 94108/ });
    const top = await results.evaluate((h) => h.getBoundingClientRect().top + window.scrollY);
    assert.ok(top < 900, `the results start ${top} px down, within about one screen`);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide on a 390 px screen`);
    const concern = phone.getByRole('group', { name: 'Concern' });
    assert.equal(await concern.isVisible(), false, 'the concern checkboxes are folded away');
    await phone.getByText('Filters', { exact: true }).click();
    await concern.getByLabel('Low desire').check();
    await navigate(phone, () => button(phone, 'Apply filters').click());
    await phone.getByText('Filters (1 chosen)').waitFor();
    assert.equal(await phone.getByRole('group', { name: 'Concern' }).isVisible(), true, 'a chosen filter stays in view');
    // The signed-in menu folds too: a phone shows one "Menu" button, not a screen of links.
    // (The administrator: staff sign in again later, and a code is good once.)
    await signIn(phone, server.baseUrl, 'admin@demo.sensate.test', DEMO_PASSWORD, { withCode: true });
    const header = await phone.locator('.site-header').evaluate((h) => h.getBoundingClientRect().height);
    assert.ok(header < 120, `the staff header is ${header} px tall on a phone`);
    const menuLink = phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credentials', exact: true });
    assert.equal(await menuLink.isVisible(), false, 'the menu starts folded');
    await phone.getByText('Menu', { exact: true }).click();
    await menuLink.waitFor();
  });

  journey.step('the professional fills her profile; a postal code not found gets suggestions', async () => {
    const haddad = await signedIn('haddad', HADDAD.email, true);
    await visit(haddad, `${server.baseUrl}/portal/credentials`);
    await navigate(haddad, () => haddad.getByRole('link', { name: 'Your directory profile' }).click());
    await expectHeading(haddad, 'Your directory profile');
    await haddad.getByText('Your profile is in the directory.').first().waitFor();
    const code = field(haddad, 'Postal code, location 1');
    await code.fill('94199');
    await field(haddad, 'Practice name (optional)').fill('Mission Intimacy Clinic');
    await navigate(haddad, () => button(haddad, 'Save profile').click(), { status: 422 });
    const error = haddad.locator('[id="locations[0].postal_code-error"]');
    assert.match(await error.textContent(), /We could not find “94199”\. Did you mean .*CA 941\d\d/);
    assert.equal(await field(haddad, 'Practice name (optional)').inputValue(), 'Mission Intimacy Clinic', 'kept');
    await field(haddad, 'Postal code, location 1').fill('94110');
    await field(haddad, 'Street address, location 1').fill('2300 Mission St');
    await haddad.getByRole('group', { name: 'Languages you offer sessions in' }).getByLabel('Spanish', { exact: true }).check();
    await navigate(haddad, () => button(haddad, 'Save profile').click());
    assert.equal(path(haddad), '/portal/profile');
    await expectStatus(haddad, 'Your profile was saved.');
  });

  journey.step('the public finds her by postal code, radius and concern and reads the credential explained', async () => {
    const visitor = await pageOf('public');
    await search(visitor, '94108', '10', 'Low desire');
    const results = visitor.getByRole('region', { name: /professionals? near San Francisco, CA 94108/ });
    const card = results.getByRole('listitem').filter({ hasText: HADDAD.name });
    assert.equal(await card.count(), 1, 'her card is in the results');
    assert.match(await card.textContent(), /Sex therapist.*Mission Intimacy Clinic/s);
    await navigate(visitor, () => card.getByRole('link', { name: HADDAD.name }).click());
    await expectHeading(visitor, HADDAD.name);
    await visitor.getByText(/licensed clinician who provides psychotherapy for sexual concerns/).waitFor();
    await visitor.getByText('2300 Mission St, San Francisco, CA 94110').waitFor();
    assert.ok(await visitor.getByRole('link', { name: /^CST-\d{4}-\d{6}-\d{2}$/ }).count(), 'the badge links to verification');
  });

  journey.step('a referring provider refers a client from her profile', async () => {
    const novak = await signedIn('novak', NOVAK.email, true);
    // A shared search address: Arabic-speaking professionals treating infertility near 94110.
    await visit(novak, `${server.baseUrl}/directory?place=94110&radius=5&language=ar&concern=infertility`);
    const card = novak.getByRole('listitem').filter({ hasText: HADDAD.name });
    await navigate(novak, () => card.getByRole('link', { name: HADDAD.name }).click());
    await navigate(novak, () => novak.getByRole('link', { name: `Refer a client to ${HADDAD.name}` }).click());
    await expectHeading(novak, `Refer a client to ${HADDAD.name}`);
    await field(novak, "Client's name").fill(CLIENT);
    await navigate(novak, () => button(novak, 'Send the referral').click(), { status: 422 });
    await novak.getByText('Give an e-mail address or a phone number').first().waitFor();
    await novak.getByText('tick the box to confirm they have').first().waitFor();
    assert.equal(await field(novak, "Client's name").inputValue(), CLIENT, 'the name is kept');
    await field(novak, "Client's phone").fill('+1 415 555 0147');
    await novak.getByRole('group', { name: 'Referred for' }).getByLabel('Infertility-related sexual concerns').check();
    await novak.getByRole('radio', { name: 'Soon (within two weeks)' }).check();
    await field(novak, 'Notes for the professional (optional)').fill('Second IVF cycle; the couple would like joint sessions.');
    await novak.getByLabel(`The client agreed to be contacted by ${HADDAD.name}`).check();
    await navigate(novak, () => button(novak, 'Send the referral').click());
    assert.match(path(novak), /^\/referrals\/[0-9a-f]{32}$/);
    referralUrl = novak.url().split('?')[0];
    await expectStatus(novak, 'The referral was sent.');
    assert.equal((await novak.locator('#referral-status').textContent()).trim(), 'sent');
  });

  journey.step('the professional reads the referral and accepts it; the referrer sees it accepted', async () => {
    const haddad = await pageOf('haddad');
    await visit(haddad, `${server.baseUrl}/dashboard`);
    await navigate(haddad, () => haddad.getByRole('banner').getByRole('link', { name: 'Referrals', exact: true }).click());
    const received = haddad.getByRole('region', { name: 'Received' });
    const row = received.getByRole('row').filter({ hasText: NOVAK.name }).filter({ hasText: 'sent' });
    assert.ok((await row.count()) >= 1, 'the new referral is listed');
    await visit(haddad, referralUrl);
    await haddad.getByText(CLIENT).first().waitFor();
    await haddad.getByRole('radio', { name: 'Accept: I will contact the client' }).check();
    await haddad.getByLabel('Note to the referring provider (required to decline)').fill('I will call this week.');
    await navigate(haddad, () => button(haddad, 'Send the answer').click());
    await expectStatus(haddad, 'The referral was accepted');

    const novak = await pageOf('novak');
    await visit(novak, referralUrl);
    assert.equal((await novak.locator('#referral-status').textContent()).trim(), 'accepted');
    await novak.getByText('I will call this week.').waitFor();
  });

  journey.step('the FHIR Practitioner and ServiceRequest pass an independent R4 validator', async () => {
    const novak = await pageOf('novak');
    const referral = await novak.request.get(`${referralUrl.replace('/referrals/', '/fhir/ServiceRequest/')}`);
    assert.equal(referral.status(), 200);
    const request = await referral.json();
    assertValidFhir(request, 'ServiceRequest');
    assert.equal(request.status, 'active');
    const practitionerRef = request.performer?.[0]?.reference ?? '';
    assert.match(practitionerRef, /Practitioner\/[0-9a-f]{32}$/, 'the referral names the professional');
    const practitioner = await novak.request.get(`${server.baseUrl}/fhir/${practitionerRef.split('/').slice(-2).join('/')}`);
    assert.equal(practitioner.status(), 200);
    const resource = await practitioner.json();
    assertValidFhir(resource, 'Practitioner');
    assert.ok(resource.qualification?.length >= 1, 'the credential is a qualification');
    const missing = await novak.request.get(`${server.baseUrl}/fhir/Practitioner/00000000000000000000000000000000`);
    assert.equal(missing.status(), 404);
    assertValidFhir(await missing.json(), 'OperationOutcome');
  });

  journey.step('after staff suspend her credential, the same search no longer finds her', async () => {
    const staff = await signedIn('staff', STAFF, true);
    await visit(staff, `${server.baseUrl}/admin/credentials?q=${encodeURIComponent(HADDAD.name)}`);
    const row = staff.getByRole('row').filter({ hasText: HADDAD.name });
    await navigate(staff, () => row.getByRole('link').first().click());
    await staff.getByRole('radio', { name: 'Suspend (for now)' }).check();
    await staff.getByLabel('Reason (kept in the history, not public)').fill('Interim suspension while a complaint is reviewed.');
    await staff.getByLabel(/^Public notice/).fill('Suspended pending review.');
    await staff.getByRole('checkbox', { name: /^To suspend or revoke: I have checked/ }).check();
    await navigate(staff, () => button(staff, 'Apply').click());

    const visitor = await pageOf('public');
    await search(visitor, '94108', '10', 'Low desire');
    const main = await visitor.getByRole('main').textContent();
    assert.ok(!main.includes(HADDAD.name), 'she is gone from the results at once');
  });

  journey.step('staff find requests for referring-provider accounts in a list that pages and filters', async () => {
    const staff = await signedIn('staff', STAFF, true);
    await visit(staff, `${server.baseUrl}/admin/referrers`);
    await expectHeading(staff, 'Requests for referring-provider accounts');
    await staff.getByText('No request matches.').waitFor();
    await staff.getByLabel('Showing').selectOption({ label: 'Every state (1)' });
    await field(staff, 'Name, e-mail, organisation or license').fill('reproductive');
    await navigate(staff, () => button(staff, 'Filter').click());
    const table = staff.getByRole('region', { name: 'Table of requests' });
    const row = table.getByRole('row').filter({ hasText: NOVAK.name });
    assert.equal(await row.count(), 1, 'Dr. Novak\'s approved request is found');
    await row.getByText('approved').waitFor();
    await staff.getByText('Showing 1–1 of 1').waitFor();
  });
});
