// What every browser journey file shares: one browser per file, a describe block per engine,
// steps that stop at the first failure (with a screenshot and the server's output), and the
// page assertions the journeys use.

import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';

import { launchBrowser, printVisitedPages, saveScreenshot } from './browser.mjs';
import { sensateBin, skipPostgres } from './server.mjs';

const ENGINES = ['sqlite', 'postgres'];
const SERVER_LOG_LINES_ON_FAILURE = 300;

/** Launches one browser for the file (and fails clearly when SENSATE_BIN is missing). */
export function useBrowser() {
  test('SENSATE_BIN points at the built sensate binary', () => {
    sensateBin();
  });
  const holder = {};
  before(async () => {
    holder.browser = await launchBrowser();
  });
  after(async () => {
    await holder.browser?.close();
    printVisitedPages();
  });
  return () => holder.browser;
}

/**
 * Runs `body(engine, journey)` inside a describe block for each engine. `journey.step(name, fn)`
 * declares a step; steps are one story, so after a failure the rest fail at once naming the
 * step that broke. Set `journey.server` and `journey.activePage` so a failure can show them.
 */
export function forEachEngine(label, body) {
  for (const engine of ENGINES) {
    const skip = engine === 'postgres' && skipPostgres();
    if (skip) {
      console.error('!!! SKIPPED the PostgreSQL browser tests (SENSATE_TEST_SKIP_POSTGRES=1) !!!');
    }
    describe(engine, { skip: skip && 'SENSATE_TEST_SKIP_POSTGRES=1', timeout: 10 * 60_000 }, () => {
      const journey = { server: undefined, activePage: undefined, firstFailure: undefined };
      journey.step = (name, fn) => {
        it(name, async () => {
          if (journey.firstFailure) throw new Error(`not run: the earlier step "${journey.firstFailure}" failed`);
          try {
            await fn();
          } catch (error) {
            journey.firstFailure = name;
            const screenshot = await saveScreenshot(journey.activePage, `${engine}-${label}-${name}`);
            const lines = journey.server?.logs().split('\n') ?? [];
            console.error(
              [
                `--- ${engine} / ${name} failed at ${journey.activePage?.url()}`,
                screenshot ? `--- screenshot: ${screenshot}` : '--- (no screenshot)',
                `--- server output (last ${SERVER_LOG_LINES_ON_FAILURE} of ${lines.length} lines):`,
                ...lines.slice(-SERVER_LOG_LINES_ON_FAILURE),
                '--- end of server output',
              ].join('\n'),
            );
            throw error;
          }
        });
      };
      body(engine, journey);
    });
  }
}

export const path = (page) => new URL(page.url()).pathname;
export const field = (page, label) => page.getByLabel(label, { exact: true });
export const button = (page, name) => page.getByRole('button', { name, exact: true });
export const trimmed = (texts) => texts.map((t) => t.trim());

/** Asserts that an input points at its error message, so a screen reader announces it. */
export async function assertDescribedBy(input, errorId) {
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  assert.ok(
    describedBy.split(/\s+/).includes(errorId),
    `the field's aria-describedby (${JSON.stringify(describedBy)}) should include ${errorId}`,
  );
  assert.equal(await input.getAttribute('aria-invalid'), 'true', 'the field should have aria-invalid="true"');
}

/** Waits for a visible error message with some text in it, and returns that text. */
export async function expectFieldError(page, errorId) {
  const error = page.locator(`#${errorId}`);
  await error.waitFor({ state: 'visible' });
  const text = (await error.textContent()).trim();
  assert.notEqual(text, '', `#${errorId} says what is wrong`);
  return text;
}

/** Waits for a heading; on failure names the headings the page does have. */
export async function expectHeading(page, name) {
  try {
    await page.getByRole('heading', { name }).first().waitFor({ timeout: 10_000 });
  } catch (error) {
    const headings = await page.getByRole('heading').allTextContents().catch(() => []);
    throw new Error(
      `expected a heading ${name} on ${page.url()}; the page's headings: ${JSON.stringify(trimmed(headings))}`,
      { cause: error },
    );
  }
}
