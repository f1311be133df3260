// Reading the mail Sensate "sends" in tests: its file transport writes each message as one
// RFC 5322 file, DATA_DIR/outbox/<stamp>-<id>.eml (written to a hidden temporary file first
// and renamed, so a *.eml file is always complete).
//
// A small MIME decoder, enough for what lettre writes: a single part or multipart/* (nested),
// Content-Transfer-Encoding 7bit, 8bit, quoted-printable or base64, UTF-8 text, and RFC 2047
// encoded words in headers.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

// --- Headers ----------------------------------------------------------------------------------

/** Splits a raw message (or part) into a header map (lower-case names, arrays) and its body. */
export function splitMessage(raw) {
  const match = /\r?\n\r?\n/.exec(raw);
  const head = match ? raw.slice(0, match.index) : raw;
  const body = match ? raw.slice(match.index + match[0].length) : '';
  const headers = new Map();
  // Unfold: a line that starts with a space or a tab continues the previous header.
  const unfolded = head.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  return { headers, body };
}

function header(headers, name) {
  return headers.get(name)?.[0];
}

/** Decodes RFC 2047 encoded words (=?charset?B|Q?text?=), as lettre uses for non-ASCII subjects. */
export function decodeEncodedWords(value) {
  // Whitespace between two adjacent encoded words is not part of the text.
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset, encoding, text) => {
    const bytes =
      encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : decodeQuotedPrintableBytes(text.replace(/_/g, ' '));
    return decodeCharset(bytes, charset);
  });
}

/** A header value with parameters, e.g. `multipart/alternative; boundary="abc"`. */
export function parseParameterised(value = '') {
  const [first, ...rest] = splitOutsideQuotes(value, ';');
  const params = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    let val = param.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"')) val = val.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = val;
  }
  return { value: first.trim().toLowerCase(), params };
}

function splitOutsideQuotes(text, separator) {
  const parts = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\' && quoted && i + 1 < text.length) {
      current += ch + text[i + 1];
      i += 1;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** The bare addresses in an address-list header: `Dana <d@x.org>, e@y.org` → [d@x.org, e@y.org]. */
export function parseAddresses(value = '') {
  return splitOutsideQuotes(decodeEncodedWords(value), ',')
    .map((entry) => {
      const angle = /<([^>]*)>/.exec(entry);
      return (angle ? angle[1] : entry).trim().replace(/^"|"$/g, '');
    })
    .filter((address) => address.length > 0);
}

// --- Bodies -----------------------------------------------------------------------------------

/** Quoted-printable (RFC 2045 6.7) to bytes: soft line breaks removed, =XX decoded. */
export function decodeQuotedPrintableBytes(text) {
  const soft = text.replace(/=[ \t]*\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i += 1) {
    const ch = soft[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      // Characters of the encoded text are ASCII; anything else is kept as its UTF-8 bytes.
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes, charset = 'utf-8') {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function decodeBody(body, transferEncoding = '7bit', charset = 'utf-8') {
  const encoding = transferEncoding.trim().toLowerCase();
  let bytes;
  if (encoding === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintableBytes(body);
  else bytes = Buffer.from(body, 'latin1'); // 7bit, 8bit, binary: the raw bytes as read
  return decodeCharset(bytes, charset).replace(/\r\n/g, '\n');
}

/**
 * Walks a (possibly multipart) entity and collects its text/plain and text/html bodies.
 * `raw` is a latin1 string, so bytes survive until the part's charset is known.
 */
function collectTextParts(raw, found = { text: [], html: [] }) {
  const { headers, body } = splitMessage(raw);
  const type = parseParameterised(header(headers, 'content-type') ?? 'text/plain; charset=us-ascii');
  if (type.value.startsWith('multipart/')) {
    const boundary = type.params.boundary;
    if (!boundary) throw new Error('multipart message without a boundary');
    for (const part of splitMultipart(body, boundary)) collectTextParts(part, found);
    return found;
  }
  const disposition = parseParameterised(header(headers, 'content-disposition') ?? 'inline').value;
  if (disposition === 'attachment') return found;
  const decoded = decodeBody(body, header(headers, 'content-transfer-encoding'), type.params.charset);
  if (type.value === 'text/plain') found.text.push(decoded);
  else if (type.value === 'text/html') found.html.push(decoded);
  return found;
}

/** The body parts between `--boundary` lines, up to `--boundary--`. */
export function splitMultipart(body, boundary) {
  const lines = body.split(/\r?\n/);
  const parts = [];
  let current = null;
  for (const line of lines) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) {
      if (current) parts.push(current.join('\r\n'));
      return parts;
    }
    if (trimmed === `--${boundary}`) {
      if (current) parts.push(current.join('\r\n'));
      current = [];
    } else if (current) {
      current.push(line);
    }
  }
  if (current) parts.push(current.join('\r\n')); // no closing delimiter: keep what there is
  return parts;
}

/**
 * Parses one RFC 5322 message (a Buffer or string) into
 * { to: [addresses], from, subject, text, html, headers }.
 */
export function parseMessage(source) {
  const raw = Buffer.isBuffer(source) ? source.toString('latin1') : Buffer.from(source, 'utf8').toString('latin1');
  const { headers } = splitMessage(raw);
  const headerText = (name) => {
    const value = header(headers, name);
    return value === undefined ? undefined : decodeEncodedWords(Buffer.from(value, 'latin1').toString('utf8'));
  };
  const parts = collectTextParts(raw);
  return {
    to: (headers.get('to') ?? []).flatMap(parseAddresses),
    from: headerText('from'),
    subject: headerText('subject') ?? '',
    text: parts.text.join('\n'),
    html: parts.html.join('\n'),
    headers,
  };
}

// --- The outbox -------------------------------------------------------------------------------

export function outboxDir(dataDir) {
  return join(dataDir, 'outbox');
}

/** Every message in DATA_DIR/outbox, oldest first (by file mtime, then name). */
export async function readOutbox(dataDir) {
  const dir = outboxDir(dataDir);
  let names;
  try {
    names = await readdir(dir);
  } catch (error) {
    if (error.code === 'ENOENT') return []; // nothing sent yet
    throw error;
  }
  const messages = [];
  for (const name of names) {
    // Hidden files are messages still being written.
    if (!name.endsWith('.eml') || name.startsWith('.')) continue;
    const file = join(dir, name);
    try {
      const [info, source] = await Promise.all([stat(file), readFile(file)]);
      messages.push({ ...parseMessage(source), file, mtimeMs: info.mtimeMs });
    } catch (error) {
      if (error.code !== 'ENOENT') throw error; // removed between listing and reading
    }
  }
  return messages.sort((a, b) => a.mtimeMs - b.mtimeMs || a.file.localeCompare(b.file));
}

function matches(message, { to, subjectIncludes }) {
  if (to !== undefined && !message.to.some((address) => address.toLowerCase() === to.toLowerCase())) return false;
  if (subjectIncludes !== undefined && !message.subject.includes(subjectIncludes)) return false;
  return true;
}

/**
 * Polls the outbox until a message to `to` whose subject includes `subjectIncludes` is there,
 * and returns the newest such message. Fails after `timeoutMs`, listing what did arrive.
 */
export async function waitForMail(dataDir, criteria, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await readOutbox(dataDir);
    const found = all.filter((message) => matches(message, criteria));
    if (found.length > 0) return found[found.length - 1];
    if (Date.now() > deadline) {
      const seen = all.map((m) => `  to ${m.to.join(', ')}: ${JSON.stringify(m.subject)}`).join('\n') || '  (none)';
      throw new Error(
        `no mail to ${criteria.to ?? 'anyone'} with a subject including ${JSON.stringify(criteria.subjectIncludes ?? '')} ` +
          `within ${timeoutMs} ms in ${outboxDir(dataDir)}; messages there:\n${seen}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The first http(s) URL in `text` whose path starts with `pathPrefix`, or undefined. */
export function extractLink(text, pathPrefix = '/') {
  for (const [candidate] of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    // Sentence punctuation right after a link is not part of it.
    const trimmed = candidate.replace(/[.,;:!?)\]]+$/, '');
    let url;
    try {
      url = new URL(trimmed);
    } catch {
      continue;
    }
    if (url.pathname.startsWith(pathPrefix)) return url.href;
  }
  return undefined;
}
