// Self-check of the suite's MIME decoder and outbox reader on messages shaped like lettre's
// (multipart/alternative, text/plain + text/html, quoted-printable, base64 or 7bit, CRLF).

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { decodeEncodedWords, extractLink, parseMessage, readOutbox, waitForMail } from '../support/mail.mjs';

const crlf = (...lines) => lines.join('\r\n');

const LONG_TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g';

// The verification mail as lettre writes it with quoted-printable: a soft line break in the
// middle of the link, "=" in the query encoded as =3D, and a UTF-8 "é" as two escaped bytes.
const QUOTED_PRINTABLE = crlf(
  'From: Sensate <no-reply@board.example>',
  'To: dana-1@example.org',
  'Subject: Confirm your e-mail address',
  'MIME-Version: 1.0',
  'Date: Mon, 24 Nov 2025 03:48:00 +0000',
  'Content-Type: multipart/alternative;',
  ' boundary="0oVZ2r6AoLAhLlb0gPNSKy6BEqdS2IfwxrcbUuo1"',
  '',
  '--0oVZ2r6AoLAhLlb0gPNSKy6BEqdS2IfwxrcbUuo1',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Hello Dana Reyes,',
  '',
  'Please confirm that this is your e-mail address for Sensate (Board Caf=C3=',
  '=A9) by opening this link:',
  '',
  `http://127.0.0.1:4123/verify-email/${LONG_TOKEN.slice(0, 30)}=`,
  `${LONG_TOKEN.slice(30)}?next=3D%2Fdashboard`,
  '',
  'The link works once.',
  '--0oVZ2r6AoLAhLlb0gPNSKy6BEqdS2IfwxrcbUuo1',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<!doctype html><p>Hello Dana Reyes,</p><p><a href=3D"http://127.0.0.1:4123/=',
  'verify-email/x">link</a></p>',
  '--0oVZ2r6AoLAhLlb0gPNSKy6BEqdS2IfwxrcbUuo1--',
  '',
);

// The same text with base64, and an RFC 2047 subject.
const BASE64 = crlf(
  'From: Sensate <no-reply@board.example>',
  'To: "Dana Reyes" <Dana-2@Example.org>',
  'Subject: =?utf-8?b?QmVzdMOkdGlnZW4=?= =?utf-8?b?IFNpZQ==?=',
  'MIME-Version: 1.0',
  'Content-Type: multipart/alternative; boundary="b2"',
  '',
  '--b2',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: base64',
  '',
  'SGVsbG8gRGFuYSBSZXllcywNCg0KUGxlYXNlIGNvbmZpcm0gdGhhdCB0aGlzIGlzIHlvdXIgZS1t',
  'YWlsIGFkZHJlc3MgZm9yIFNlbnNhdGUgKEJvYXJkIENhZsOpKSBieSBvcGVuaW5nIHRoaXMgbGlu',
  'azoNCg0KaHR0cDovLzEyNy4wLjAuMTo0MTIzL3ZlcmlmeS1lbWFpbC9BYkNfZC0xMj9uZXh0PSUy',
  'RmRhc2hib2FyZCZ4PTENCg0KVGhlIGxpbmsgd29ya3Mgb25jZS4=',
  '--b2',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: 7bit',
  '',
  '<p>html</p>',
  '--b2--',
  '',
);

// A single 7bit text part, LF line endings and a folded subject.
const SEVEN_BIT = [
  'To: dana-3@example.org',
  'Subject: Two-factor sign-in',
  '  was turned on',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 7bit',
  '',
  'Review your settings: http://127.0.0.1:4123/account/security.',
  '',
].join('\n');

describe('parseMessage', () => {
  it('decodes quoted-printable multipart/alternative as lettre writes it', () => {
    const message = parseMessage(Buffer.from(QUOTED_PRINTABLE, 'utf8'));
    assert.deepEqual(message.to, ['dana-1@example.org']);
    assert.equal(message.subject, 'Confirm your e-mail address');
    assert.equal(message.from, 'Sensate <no-reply@board.example>');
    assert.match(message.text, /\(Board Café\) by opening this link:/);
    assert.match(message.text, new RegExp(`/verify-email/${LONG_TOKEN}\\?next=%2Fdashboard\n`));
    assert.ok(!message.text.includes('\r'), 'line endings are normalised to LF');
    assert.match(message.html, /<a href="http:\/\/127\.0\.0\.1:4123\/verify-email\/x">/);
    assert.ok(!message.text.includes('<p>'), 'the HTML part is kept apart from the text');
  });

  it('decodes base64 parts and encoded-word subjects', () => {
    const message = parseMessage(Buffer.from(BASE64, 'utf8'));
    assert.deepEqual(message.to, ['Dana-2@Example.org']);
    assert.equal(message.subject, 'Bestätigen Sie');
    assert.equal(
      message.text,
      'Hello Dana Reyes,\n\nPlease confirm that this is your e-mail address for Sensate (Board Café) by opening this link:\n\n' +
        'http://127.0.0.1:4123/verify-email/AbC_d-12?next=%2Fdashboard&x=1\n\nThe link works once.',
    );
    assert.equal(message.html, '<p>html</p>');
  });

  it('reads a single 7bit part with LF line endings and folded headers', () => {
    const message = parseMessage(SEVEN_BIT);
    assert.equal(message.subject, 'Two-factor sign-in  was turned on');
    assert.equal(message.text, 'Review your settings: http://127.0.0.1:4123/account/security.\n');
  });

  it('decodes Q encoded words', () => {
    assert.equal(decodeEncodedWords('=?UTF-8?Q?Caf=C3=A9_ouvert?= today'), 'Café ouvert today');
  });
});

describe('extractLink', () => {
  const text = 'Sign in: http://127.0.0.1:1/sign-in\nReset: http://127.0.0.1:1/reset-password/abc.\n(http://h/verify-email/t)';
  it('returns the first link whose path starts with the prefix', () => {
    assert.equal(extractLink(text, '/reset-password/'), 'http://127.0.0.1:1/reset-password/abc');
    assert.equal(extractLink(text, '/sign-in'), 'http://127.0.0.1:1/sign-in');
    assert.equal(extractLink(text, '/verify-email/'), 'http://h/verify-email/t');
    assert.equal(extractLink(text), 'http://127.0.0.1:1/sign-in');
  });
  it('returns undefined when no link matches', () => {
    assert.equal(extractLink(text, '/nowhere'), undefined);
  });
});

describe('outbox', () => {
  let dataDir;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sensate-mail-test-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is empty before the first message', async () => {
    assert.deepEqual(await readOutbox(dataDir), []);
  });

  it('reads *.eml oldest first, ignoring files still being written', async () => {
    const outbox = join(dataDir, 'outbox');
    await mkdir(outbox);
    // Names sort the other way round from the modification times, which decide.
    await writeFile(join(outbox, '2-b.eml'), QUOTED_PRINTABLE);
    await writeFile(join(outbox, '1-a.eml'), BASE64);
    await writeFile(join(outbox, '.c.tmp'), SEVEN_BIT);
    await utimes(join(outbox, '2-b.eml'), new Date(1_000_000), new Date(1_000_000));
    await utimes(join(outbox, '1-a.eml'), new Date(2_000_000), new Date(2_000_000));
    const messages = await readOutbox(dataDir);
    assert.deepEqual(
      messages.map((m) => m.to[0]),
      ['dana-1@example.org', 'Dana-2@Example.org'],
    );
  });

  it('waitForMail matches the recipient case-insensitively and the subject by substring', async () => {
    const found = await waitForMail(dataDir, { to: 'dana-2@example.org', subjectIncludes: 'tigen' }, 1_000);
    assert.equal(found.subject, 'Bestätigen Sie');
  });

  it('waitForMail waits for a message that arrives later', async () => {
    setTimeout(() => writeFile(join(dataDir, 'outbox', '3-c.eml'), SEVEN_BIT), 300);
    const found = await waitForMail(dataDir, { to: 'dana-3@example.org', subjectIncludes: 'Two-factor' }, 5_000);
    assert.equal(extractLink(found.text, '/account/'), 'http://127.0.0.1:4123/account/security');
  });

  it('waitForMail fails with what did arrive', async () => {
    await assert.rejects(
      waitForMail(dataDir, { to: 'nobody@example.org', subjectIncludes: 'x' }, 300),
      /no mail to nobody@example\.org[\s\S]*Confirm your e-mail address/,
    );
  });
});
