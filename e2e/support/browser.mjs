// Headless Debian Chromium driven by playwright-core, with an accessibility check (axe-core)
// on every page the tests visit.

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

/** Debian's Chromium: a test tool cannot download a browser of its own on these machines. */
export const CHROMIUM_PATH = process.env.SENSATE_CHROMIUM ?? '/usr/bin/chromium';

// Flags required on these machines: without the networking ones Chromium keeps trying to
// reach Google's hosts through a closed network. Playwright gives every launch a fresh,
// temporary profile (its own --user-data-dir), removed when the browser closes.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** WCAG 2.0/2.1 A and AA, WCAG 2.2 AA, and axe's best practices. */
export const A11Y_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

export async function launchBrowser() {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  } catch (error) {
    throw new Error(
      `could not start Chromium at ${CHROMIUM_PATH} (install it with: apt-get install -y chromium chromium-driver): ${error.message}`,
      { cause: error },
    );
  }
}

/** A fresh browser context (own cookies and storage) with generous but bounded waits. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ locale: 'en-GB', ...options });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

// --- Accessibility ----------------------------------------------------------------------------

let axeSource;

async function loadAxeSource() {
  if (axeSource === undefined) {
    const require = createRequire(import.meta.url);
    axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSource;
}

/**
 * Runs axe-core on the page and throws, listing every violation, if there is any.
 *
 * How axe gets into a page that sends `script-src 'self'`: a <script> element with inline
 * content (what `page.addScriptTag({ content })` makes) is blocked by that policy, and
 * switching CSP off (`bypassCSP`) would hide the policy from the very pages under test.
 * Instead the source is handed to `page.evaluate`, which runs it through the DevTools
 * protocol (Runtime.evaluate), and CSP does not apply to code the debugger evaluates. The
 * page's own policy stays in force for everything else. Verified against a page served with
 * `Content-Security-Policy: default-src 'self'; script-src 'self'`: addScriptTag fails there,
 * this works.
 */
export async function checkA11y(page, label = page.url()) {
  const hasAxe = await page.evaluate(() => typeof window.axe?.run === 'function');
  if (!hasAxe) {
    // The source is a script (not an expression), wrapped so evaluate runs it as statements.
    await page.evaluate(`(() => { ${await loadAxeSource()}\n})()`);
  }
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: tags, resultTypes: ['violations'] }),
    A11Y_TAGS,
  );
  if (results.violations.length > 0) {
    throw new Error(`accessibility violations on ${label}:\n${formatViolations(results.violations)}`);
  }
  return results;
}

/** A readable list: one block per rule, with each offending element's selector. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((node) => {
          const summary = (node.failureSummary ?? '').split('\n').map((l) => `        ${l.trim()}`).join('\n');
          return `    at ${node.target.join(' ')}\n${summary}`;
        })
        .join('\n');
      return `  - ${v.id} [${v.impact ?? 'no impact given'}]: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

// --- Navigation -------------------------------------------------------------------------------

const visited = [];

/** Every page the tests visited (and checked for accessibility), in order. */
export function visitedPages() {
  return [...visited];
}

export function printVisitedPages(log = console.log) {
  log(`pages visited and checked with axe (${visited.length}):\n${visited.map((v) => `  ${v.status} ${v.url}`).join('\n')}`);
}

/**
 * Waits for the navigation that `action` starts (a click, a form submission, a goto) to
 * finish, then checks the status and the page's accessibility.
 *
 * The document response is the last main-frame navigation response that is not a redirect,
 * so `POST /sign-in` → 303 → `GET /dashboard` yields the dashboard's 200.
 *
 * Options: status (the exact status expected; otherwise anything below 400), a11y (default true).
 * Returns the document response.
 */
export async function navigate(page, action, { status, a11y = true } = {}) {
  const documentResponse = page.waitForResponse(
    (response) =>
      response.request().isNavigationRequest() &&
      response.frame() === page.mainFrame() &&
      !(response.status() >= 300 && response.status() < 400),
  );
  // Both are awaited together so an action that throws does not leave the wait dangling.
  const [response] = await Promise.all([documentResponse, action()]);
  await page.waitForLoadState('load');
  const url = page.url();
  if (status === undefined) {
    assert.ok(response.status() < 400, `expected a page, got HTTP ${response.status()} for ${url}`);
  } else {
    assert.equal(response.status(), status, `unexpected HTTP status for ${url}`);
  }
  visited.push({ url, status: response.status() });
  if (a11y) await checkA11y(page, `${url} (HTTP ${response.status()})`);
  return response;
}

/** Opens `url` in the page; then as `navigate`. */
export async function visit(page, url, options = {}) {
  return navigate(page, () => page.goto(url, { waitUntil: 'load' }), options);
}

// --- Failure artifacts ------------------------------------------------------------------------

/** Saves a full-page screenshot to e2e/artifacts/ and returns its path (or undefined). */
export async function saveScreenshot(page, name) {
  if (!page || page.isClosed()) return undefined;
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const safe = name.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120);
  const path = `${ARTIFACTS_DIR}${safe}.png`;
  try {
    await page.screenshot({ path, fullPage: true, timeout: 10_000 });
    return path;
  } catch {
    return undefined;
  }
}
