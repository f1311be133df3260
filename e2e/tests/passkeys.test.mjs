// Passkeys in a real browser, once on each database engine. Chromium's virtual authenticator
// (the DevTools protocol's WebAuthn domain: CTAP2, internal transport, resident keys, user
// verification that succeeds) stands in for a phone or laptop. A board staff member, who must
// use two-factor sign-in, adds a passkey from the security page, signs in with the password and
// the passkey as the second factor, then with the passkey alone; removes it, and the passkey
// the device still holds is refused. Every page state is checked with axe.
//
// The server is reached as http://localhost:PORT: WebAuthn names a site by host name, never by
// IP address (and localhost is a secure context, as WebAuthn requires).

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { checkA11y, navigate, newContext, visit } from '../support/browser.mjs';
import { DEMO_PASSWORD, expectStatus, signIn } from '../support/demo.mjs';
import { button, expectHeading, field, forEachEngine, path, useBrowser } from '../support/journey.mjs';
import { startServer } from '../support/server.mjs';

const STAFF = 'staff@demo.sensate.test';
const PASSKEY_NAME = 'Work laptop';

const getBrowser = useBrowser();

forEachEngine('passkeys', (engine, journey) => {
  let server;
  let context;
  let page;
  let cdp;
  let authenticatorId;

  /** The credentials the virtual authenticator holds. */
  async function deviceCredentials() {
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    return credentials;
  }

  /**
   * Runs `action`, whose script navigates once the ceremony is done (not a form submission),
   * waits for the page whose address satisfies `arrived` to load, and checks it with axe.
   */
  async function navigateByScript(action, arrived, label) {
    await Promise.all([page.waitForURL(arrived, { waitUntil: 'load' }), action()]);
    await checkA11y(page, label);
  }

  /**
   * The virtual authenticator answers any request at once while presence is simulated, which
   * a person never does: the sign-in page's autofill request (conditional UI) would sign in
   * as soon as the page loads. Steps that need the page first turn it off.
   */
  async function devicePresence(enabled) {
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
  }

  async function signOut() {
    const signOutButton = page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true });
    await navigate(page, () => signOutButton.click());
    assert.equal(path(page), '/');
  }

  before(async () => {
    server = await startServer({ engine, args: ['--demo'], host: 'localhost' });
    context = await newContext(getBrowser());
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
    journey.server = server;
    journey.activePage = page;
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  journey.step('the security page offers passkeys to a signed-in staff member', async () => {
    await signIn(page, server.baseUrl, STAFF, DEMO_PASSWORD, { withCode: true });
    await visit(page, `${server.baseUrl}/demo`);
    await page.getByText(/^Passkeys: after signing in/).waitFor();
    await visit(page, `${server.baseUrl}/account/security`);
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.getByText('You have no passkeys yet.').waitFor();
    // The script shows the form once it finds WebAuthn; the page is checked again with it.
    await field(page, 'Name of the new passkey').waitFor({ state: 'visible' });
    await checkA11y(page, 'security page with the passkey form');
  });

  journey.step('adding a passkey asks for the password, then stores a discoverable credential', async () => {
    await field(page, 'Name of the new passkey').fill(PASSKEY_NAME);
    await field(page, 'Password (to add a passkey)').fill('not the password at all');
    await button(page, 'Add a passkey').click();
    const alert = page.locator('[data-passkey-problem]');
    await alert.waitFor({ state: 'visible' });
    assert.match(await alert.textContent(), /input|password/i);
    assert.equal(await field(page, 'Password (to add a passkey)').getAttribute('aria-invalid'), 'true');
    await checkA11y(page, 'security page with a wrong password for a passkey');
    assert.equal((await deviceCredentials()).length, 0, 'nothing was created on the device');

    await field(page, 'Password (to add a passkey)').fill(DEMO_PASSWORD);
    await navigateByScript(
      () => button(page, 'Add a passkey').click(),
      (url) => url.searchParams.get('changed') === 'passkey-added',
      'security page after adding a passkey',
    );
    assert.equal(path(page), '/account/security');
    await expectStatus(page, 'Your passkey was added');
    const row = page.getByRole('row').filter({ hasText: PASSKEY_NAME });
    assert.equal(await row.count(), 1, 'the new passkey is listed');
    assert.match(await row.textContent(), /never/, 'not used yet');

    const credentials = await deviceCredentials();
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential, for passwordless sign-in');
    await checkA11y(page, 'security page with a passkey');
  });

  journey.step('after the password, the passkey is the second factor', async () => {
    await signOut();
    const before = (await deviceCredentials())[0].signCount;
    await devicePresence(false);
    await visit(page, `${server.baseUrl}/sign-in`);
    await field(page, 'E-mail address').fill(STAFF);
    await field(page, 'Password').fill(DEMO_PASSWORD);
    await navigate(page, () => button(page, 'Sign in').click());
    assert.equal(path(page), '/sign-in/two-factor');
    await expectHeading(page, 'Enter your code');
    const usePasskey = button(page, 'Use a passkey');
    await usePasskey.waitFor({ state: 'visible' });
    await checkA11y(page, 'second factor with a passkey offered');
    await devicePresence(true);

    await navigateByScript(() => usePasskey.click(), (url) => url.pathname === '/dashboard', 'dashboard after the passkey');
    const afterUse = (await deviceCredentials())[0].signCount;
    assert.ok(afterUse > before, `the signature counter moved (${before} → ${afterUse})`);
  });

  journey.step('a passkey alone signs in, and the security page shows when it was used', async () => {
    await signOut();
    await devicePresence(false);
    await visit(page, `${server.baseUrl}/sign-in`);
    const withPasskey = button(page, 'Sign in with a passkey');
    await withPasskey.waitFor({ state: 'visible' });
    await checkA11y(page, 'sign-in page with the passkey button');
    await devicePresence(true);
    // The button asks for its own challenge (cancelling the autofill request waiting on the page).
    const pressed = async () => {
      const asked = page.waitForRequest((request) => new URL(request.url()).pathname === '/sign-in/passkey/options');
      await withPasskey.click();
      await asked;
    };
    await navigateByScript(pressed, (url) => url.pathname === '/dashboard', 'dashboard, passwordless');
    assert.equal(path(page), '/dashboard', 'no password, no code: the passkey is both factors');

    await visit(page, `${server.baseUrl}/account/security`);
    const row = page.getByRole('row').filter({ hasText: PASSKEY_NAME });
    assert.doesNotMatch(await row.textContent(), /never/, 'the last use is shown');
  });

  journey.step('removing the passkey needs the password; the device copy is then refused', async () => {
    await navigate(page, () => page.getByRole('link', { name: `Remove the passkey ${PASSKEY_NAME}` }).click());
    await expectHeading(page, /Remove the passkey/);
    await field(page, 'Password (to remove this passkey)').fill('wrong password here');
    await navigate(page, () => button(page, 'Remove passkey').click(), { status: 422 });
    await page.locator('#password-error').waitFor({ state: 'visible' });

    await field(page, 'Password (to remove this passkey)').fill(DEMO_PASSWORD);
    await navigate(page, () => button(page, 'Remove passkey').click());
    assert.equal(path(page), '/account/security');
    await expectStatus(page, 'That passkey was removed');
    await page.getByText('You have no passkeys yet.').waitFor();

    await signOut();
    await devicePresence(false);
    await visit(page, `${server.baseUrl}/sign-in`);
    const withPasskey = button(page, 'Sign in with a passkey');
    await withPasskey.waitFor({ state: 'visible' });
    await devicePresence(true);
    await withPasskey.click();
    const alert = page.locator('[data-passkey-problem]');
    await alert.waitFor({ state: 'visible' });
    assert.match(await alert.textContent(), /not accepted/);
    assert.equal(path(page), '/sign-in', 'still signed out');
    await checkA11y(page, 'sign-in page refusing a removed passkey');
  });
});
