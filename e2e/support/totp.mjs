// RFC 6238 time-based one-time passwords (HMAC-SHA-1, 30-second steps), the kind an
// authenticator app computes from the secret Sensate shows at enrolment.
//
// Written here on node:crypto so the browser tests depend on nothing but the two npm packages.

import { createHmac } from 'node:crypto';

export const STEP_SECONDS = 30;

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Decodes RFC 4648 base32 (case-insensitive; spaces, dashes and '=' padding are ignored). */
export function base32Decode(text) {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const index = BASE32_ALPHABET.indexOf(ch);
    if (index < 0) throw new Error(`not a base32 character: ${JSON.stringify(ch)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The time step (counter) for a moment given in milliseconds since the epoch. */
export function timeStep(nowMs = Date.now(), stepSeconds = STEP_SECONDS) {
  return Math.floor(nowMs / 1000 / stepSeconds);
}

/** RFC 4226 HOTP over a raw key (Buffer) and a counter, as a zero-padded string. */
export function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  // Dynamic truncation (RFC 4226, section 5.3).
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * The TOTP code for a base32 secret at `nowMs` (default: now).
 * Options: digits (6), stepSeconds (30).
 */
export function totp(base32Secret, { nowMs = Date.now(), digits = 6, stepSeconds = STEP_SECONDS } = {}) {
  return hotp(base32Decode(base32Secret), timeStep(nowMs, stepSeconds), digits);
}

/** Resolves at the start of the next time step after `step` (plus a small margin). */
export async function waitForStepAfter(step, stepSeconds = STEP_SECONDS) {
  const startOfNext = (step + 1) * stepSeconds * 1000 + 250;
  const wait = startOfNext - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
