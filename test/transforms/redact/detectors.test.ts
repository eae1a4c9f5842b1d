import { describe, expect, it } from 'vitest';
import { TEXT_DETECTORS } from '../../../src/transforms/redact/detectors.js';
import { hmacOf, markOf, redactTextWithCounts, testRedactor } from './test-key.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjUxMDE0In0.eyJpYW1faWQiOiJJQk1pZC0yNzAwMDNHVVNYIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const API_KEY = '0viPHOY7LbLNa9eLftrtHPpTjR8cS-x9hAdlp9IzTBhb';
const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';

/** One example per detector: input, the secret it must find, the kind it counts. */
const EXAMPLES: { kind: string; text: (s: string) => string; secret: string }[] = [
  { kind: 'bearer-token', text: (s) => `Authorization: Bearer ${s}`, secret: 'opaque-token_0123456789.abc' },
  { kind: 'bearer-token', text: (s) => `authorization: bearer ${s}`, secret: JWT },
  { kind: 'basic-auth', text: (s) => `Authorization: Basic ${s}`, secret: Buffer.from('alice:open sesame').toString('base64') },
  { kind: 'jwt', text: (s) => `id_token_hint ${s} expired`, secret: JWT },
  { kind: 'pem-private-key', text: (s) => `key ${s} imported`, secret: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----` },
  { kind: 'pem-private-key', text: (s) => `"k":"${s}"`, secret: `-----BEGIN EC PRIVATE KEY-----\\n${PEM_BODY}\\n-----END EC PRIVATE KEY-----` },
  { kind: 'pem-private-key', text: (s) => `k=${s}`, secret: `-----BEGIN OPENSSH PRIVATE KEY-----\\n${PEM_BODY}` },
  { kind: 'ibm-api-key', text: (s) => `apikey=${s}&response_type=cloud_iam`, secret: API_KEY },
  { kind: 'ibm-api-key', text: (s) => `{"iam_apikey": "${s}"}`, secret: API_KEY },
  { kind: 'ibm-api-key', text: (s) => `ibmcloud login --apikey ${s} -g default`, secret: API_KEY },
  { kind: 'aws-access-key', text: (s) => `access key ${s} denied`, secret: 'AKIAIOSFODNN7EXAMPLE' },
  { kind: 'aws-access-key', text: (s) => `sts ${s}`, secret: 'ASIAY34FZKBOKMUTVV7A' },
  { kind: 'aws-secret-key', text: (s) => `AWS_SECRET_ACCESS_KEY=${s}`, secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  { kind: 'aws-secret-key', text: (s) => `{"secretAccessKey":"${s}"}`, secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  { kind: 'kv-secret', text: (s) => `login?user=bob&password=${s}&next=/`, secret: 'hunter2!' },
  { kind: 'kv-secret', text: (s) => `client_secret: ${s} rejected`, secret: 'cs-9f8e7d' },
  { kind: 'kv-secret', text: (s) => `{"access_token" : "${s}", "expires_in": 3600}`, secret: 'at-1234567' },
  { kind: 'kv-secret', text: (s) => `refresh_token='${s}'`, secret: 'rt 99 with spaces' },
  { kind: 'kv-secret', text: (s) => `X-Auth-Token: ${s}`, secret: 'xat-5555' },
  { kind: 'kv-secret', text: (s) => `mysql --password=${s} -h db`, secret: 'pw-77' },
  { kind: 'url-credentials', text: (s) => `clone https://deploy:${s}@git.example.com/repo.git`, secret: 'ghp_abc123' },
  { kind: 'url-credentials', text: (s) => `redis://:${s}@cache:6379/0`, secret: 'r3d1s-pw' },
  { kind: 'key-material', text: (s) => `dek=${s}`, secret: Buffer.alloc(32, 9).toString('base64') },
  { kind: 'key-material', text: (s) => `"kek": "${s}"`, secret: Buffer.alloc(16, 3).toString('hex') },
];

describe('each text detector', () => {
  for (const ex of EXAMPLES) {
    it(`${ex.kind}: ${ex.text('…')}`, () => {
      const input = ex.text(ex.secret);
      const { out, counts } = redactTextWithCounts(input);
      expect(out).toBe(ex.text(markOf(ex.kind, ex.secret)));
      expect(counts).toEqual({ [ex.kind]: 1 });
    });
  }

  it('are listed once each in the registry, in the order they run', () => {
    expect(TEXT_DETECTORS.map((d) => d.name)).toEqual([
      'pem-private-key',
      'url-credentials',
      'bearer-token, basic-auth',
      'jwt',
      'aws-access-key',
      'kv-secret, ibm-api-key, aws-secret-key, key-material',
      'command-line flags',
    ]);
  });
});

describe('values in text, by how they are written', () => {
  it('reads a quoted value up to its closing quote, past escaped quotes', () => {
    const { out } = redactTextWithCounts('{"password":"a \\"b\\" c","user":"x"}');
    expect(out).toBe(`{"password":"${markOf('kv-secret', 'a \\"b\\" c')}","user":"x"}`);
  });

  it('reads JSON nested in a JSON string (one level of escaping)', () => {
    const inner = JSON.stringify({ password: 'p"w', user: 'x' });
    const { out } = redactTextWithCounts(JSON.stringify({ _line: inner }));
    const secretAsWritten = JSON.stringify(JSON.stringify('p"w').slice(1, -1)).slice(1, -1);
    expect(out).toContain(markOf('kv-secret', secretAsWritten));
    expect(out).toContain('\\"user\\":\\"x\\"');
    expect(JSON.parse(JSON.parse(out)._line).user).toBe('x');
  });

  it('reads JSON nested twice', () => {
    const twice = JSON.stringify({ outer: JSON.stringify({ _line: JSON.stringify({ token: 'tok-123456', id: 'i' }) }) });
    const { out, counts } = redactTextWithCounts(twice);
    expect(out).not.toContain('tok-123456');
    expect(counts).toEqual({ 'kv-secret': 1 });
    expect(JSON.parse(JSON.parse(JSON.parse(out).outer)._line)).toEqual({ token: markOf('kv-secret', 'tok-123456'), id: 'i' });
  });

  it('reads JSON nested three times', () => {
    let text = JSON.stringify({ password: 'pw-123456', id: 'i' });
    for (let i = 0; i < 3; i++) text = JSON.stringify({ inner: text });
    const { out, counts } = redactTextWithCounts(text);
    expect(out).not.toContain('pw-123456');
    expect(counts).toEqual({ 'kv-secret': 1 });
  });

  it('redacts every string of an array or object under a secret name, keeping keys and numbers', () => {
    const { out, counts } = redactTextWithCounts('{"aad":["a1",2,"a3"],"credentials":{"apikey":"k","n":1},"id":"keep"}');
    expect(out).toBe(
      `{"aad":["${markOf('kv-secret', 'a1')}",2,"${markOf('kv-secret', 'a3')}"],"credentials":{"apikey":"${markOf('kv-secret', 'k')}","n":1},"id":"keep"}`,
    );
    expect(counts).toEqual({ 'kv-secret': 3 });
  });

  it("keeps an IPv6 address whose first group reads as a secret name, and still redacts that name's values", () => {
    // Found by the property test (seed -798824758): `aad` is a secret name and a group of hex digits.
    expect(redactTextWithCounts('{"ref_0":"aad:0:0:0:0:0:0.0.0.0"}').out).toBe('{"ref_0":"aad:0:0:0:0:0:0.0.0.0"}');
    expect(redactTextWithCounts('from aad:1::5 via fe80::1').out).toBe('from aad:1::5 via fe80::1');
    // Not addresses: read as `aad` values as before.
    for (const value of ['dGVzdA==', 'deadbeef', 'dead:beef:zz']) {
      expect(redactTextWithCounts(`aad:${value} sent`).out).toBe(`aad:${markOf('kv-secret', value.split(' ')[0]!)} sent`);
    }
    expect(redactTextWithCounts('{"aad":"0:0::1"}').out).toBe(`{"aad":"${markOf('kv-secret', '0:0::1')}"}`);
  });

  it('redacts a value cut off by truncation to the end of the text', () => {
    expect(redactTextWithCounts('{"id":"x","plaintext":"c2VjcmV0IGRl').out).toBe(`{"id":"x","plaintext":"${markOf('kv-secret', 'c2VjcmV0IGRl')}`);
    expect(redactTextWithCounts('{"aad":["one","tw').out).toBe(`{"aad":["${markOf('kv-secret', 'one')}","${markOf('kv-secret', 'tw')}`);
  });

  it('keeps numbers and booleans after a quoted secret name, as in parsed records', () => {
    const text = '{"nonce": 12345, "secret": true}';
    expect(redactTextWithCounts(text).out).toBe(text);
  });

  it('takes the credential after an auth scheme in a header pair', () => {
    expect(redactTextWithCounts('authorization=Digest abc123def').out).toBe(`authorization=Digest ${markOf('kv-secret', 'abc123def')}`);
  });

  it('runs a cookie header value to the end of the line', () => {
    expect(redactTextWithCounts('Cookie: a=1; b=2\nHost: x').out).toBe(`Cookie: ${markOf('kv-secret', 'a=1; b=2')}\nHost: x`);
  });

  it('does not read CRN segments or URL paths as pairs', () => {
    const text = 'crn:v1:bluemix:public:secrets-manager:eu-de:a/acct:inst:secret:id /v1/secret:abc token@secret:x';
    expect(redactTextWithCounts(text).out).toBe(text);
  });

  it('reads a name that follows a \\n escape in JSON text, and not one glued to other letters', () => {
    expect(redactTextWithCounts('"msg":"line one\\npassword=hunter2!"').out).toBe(`"msg":"line one\\npassword=${markOf('kv-secret', 'hunter2!')}"`);
    expect(redactTextWithCounts('C:\\\\plaintext=abc123').out).toBe(`C:\\\\plaintext=${markOf('kv-secret', 'abc123')}`);
    expect(redactTextWithCounts('C:\\\\token=abc123').out).toBe(`C:\\\\token=${markOf('kv-secret', 'abc123')}`);
    expect(redactTextWithCounts('two levels\\\\napikey=abc123').out).toBe(`two levels\\\\napikey=${markOf('kv-secret', 'abc123')}`);
  });

  it('takes the whole bare value when an earlier detector marked only its start', () => {
    const jwt = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig';
    expect(redactTextWithCounts(`password=${jwt}!tail`).out).toBe(`password=${markOf('kv-secret', `${markOf('jwt', jwt)}!tail`)}`);
  });

  it('reads `--name value` flags and not ordinary words', () => {
    expect(redactTextWithCounts('vault write --token s.abc123 path').out).toBe(`vault write --token ${markOf('kv-secret', 's.abc123')} path`);
    expect(redactTextWithCounts('the token s.abc123 expired').out).toBe('the token s.abc123 expired');
  });
});

describe('what the detectors leave alone', () => {
  const identifiers = [
    '5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f',
    'b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21',
    'crn:v1:bluemix:public:kms:us-south:a/b2e5a2a1c0d94f1e8a7b3c6d5e4f3a21:75539f09-f989-43f0-80fd-c1e6578e3ca2:key:5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f',
    'IBMid-270003GUSX',
    'iam-ServiceId-f83d90d2-15ea-414e-a0ba-c448e3d975d6',
    'CertificateId-4f0c8a2e-7d8b-4c1e-9a3f-6b5d4c3b2a10',
    '203.0.113.7',
    '2001:db8:85a3::8a2e:370:7334',
    'fe80::1%eth0',
    'keyprotect-go-client/0.9',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
    '2025-11-21T00:00:00.000Z',
    '2019-07-01T10:00:00.00+0000',
    '/api/v2/keys/5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f/actions/unwrap',
    '/api/v2/keys/5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f?action=unwrap',
    '/api/v2/secrets/0b5571f7-21e6-42b7-91c5-3f5ac9793a46/versions/current',
    '346c694d-f3a3-4c86-a58d-e96503448eaf.us-south.secrets-manager.appdomain.cloud',
    'https://us-south.kms.cloud.ibm.com/api/v2/keys',
    'alice@example.com',
    'kms.secrets.unwrap',
    'secrets-manager.secret-version.create',
    'Bearer',
    'token_type=Bearer',
    'key=5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f',
    'key_ring=payments-ring',
    'the bearer of the Basic plan',
    'hmac-sha256:7a3d335ebb428910b8540a364365a972f7106aacd2da085c931a689f70c77b1b',
  ];
  it.each(identifiers)('keeps %s as the same string', (id) => {
    const { out, counts } = redactTextWithCounts(id);
    expect(out).toBe(id);
    expect(counts).toEqual({});
  });

  it('returns the very same string when nothing matched, short or long', () => {
    const long = `${'request completed for key 5e7a1c2d-3b4a-4f5e-8d9c-0a1b2c3d4e5f at 2025-11-21T00:00:00Z; '.repeat(20)}`;
    const redactor = testRedactor();
    for (const s of [long, 'POST', 'us-south.kms.cloud.ibm.com']) expect(redactor.redactText(s, {})).toBe(s);
  });

  it('finds the same secrets in long strings (native prefilters) as in short ones (character loop)', () => {
    const padding = 'x'.repeat(300);
    for (const ex of EXAMPLES) {
      const { out } = redactTextWithCounts(`${padding} ${ex.text(ex.secret)}`);
      expect(out, ex.kind).toBe(`${padding} ${ex.text(markOf(ex.kind, ex.secret))}`);
    }
  });
});

describe('redacting twice', () => {
  it('changes nothing the second time, and counts nothing', () => {
    for (const ex of EXAMPLES) {
      const once = redactTextWithCounts(ex.text(ex.secret)).out;
      const twice = redactTextWithCounts(once);
      expect(twice.out, ex.kind).toBe(once);
      expect(twice.counts, ex.kind).toEqual({});
    }
  });

  it('leaves Vault-style fingerprints as they are, whole or after a name', () => {
    const fp = hmacOf('x');
    for (const s of [fp, `token=${fp}`, `{"client_token":"${fp}"}`, `Bearer ${fp}`]) expect(redactTextWithCounts(s).out).toBe(s);
  });
});
