// Self-check of the test suite's own TOTP generator against the published test vectors,
// so a failing two-factor step in the browser tests cannot be blamed on the generator.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { base32Decode, hotp, timeStep, totp } from '../support/totp.mjs';

// RFC 6238 appendix B uses the ASCII key "12345678901234567890" for SHA-1;
// this is its base32 form, as an authenticator app would be given it.
const RFC_SECRET_ASCII = '12345678901234567890';
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('base32', () => {
  it('decodes the RFC 6238 secret', () => {
    assert.equal(base32Decode(RFC_SECRET_BASE32).toString('ascii'), RFC_SECRET_ASCII);
  });

  it('ignores case, spaces, dashes and padding', () => {
    assert.equal(base32Decode('gezd gnbv-gy3t qojq gezd gnbv gy3t qojq').toString('ascii'), RFC_SECRET_ASCII);
    assert.equal(base32Decode('MZXW6===').toString('ascii'), 'foo'); // RFC 4648 vector
  });

  it('refuses characters outside the alphabet', () => {
    assert.throws(() => base32Decode('ABC1'), /not a base32 character/);
  });
});

describe('HOTP (RFC 4226 appendix D)', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  for (const [counter, code] of expected.entries()) {
    it(`counter ${counter} → ${code}`, () => {
      assert.equal(hotp(Buffer.from(RFC_SECRET_ASCII, 'ascii'), counter), code);
    });
  }
});

describe('TOTP (RFC 6238 appendix B, SHA-1)', () => {
  const vectors = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [seconds, code] of vectors) {
    it(`T=${seconds} → ${code} (8 digits)`, () => {
      assert.equal(totp(RFC_SECRET_BASE32, { nowMs: seconds * 1000, digits: 8 }), code);
    });
  }

  it('T=59 → 287082 with the 6 digits Sensate uses', () => {
    assert.equal(totp(RFC_SECRET_BASE32, { nowMs: 59_000 }), '287082');
  });

  it('uses 30-second steps', () => {
    assert.equal(timeStep(59_000), 1);
    assert.equal(timeStep(60_000), 2);
    assert.equal(totp(RFC_SECRET_BASE32, { nowMs: 30_000 }), totp(RFC_SECRET_BASE32, { nowMs: 59_999 }));
  });
});
