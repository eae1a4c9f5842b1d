import { describe, expect, it } from 'vitest';
import { credentialType, initiatorTypeURI } from '../../../src/transforms/build/initiator.js';

describe('initiator vocabulary', () => {
  it('maps declared principal types and grant types', () => {
    expect(initiatorTypeURI('ServiceId', 'x')).toBe('service/security/account/serviceid');
    expect(credentialType('urn:ibm:params:oauth:grant-type:apikey')).toBe('apikey');
  });

  it('reads keys inherited from Object as unknown values, guessing from the IAM id as for any unknown one', () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(initiatorTypeURI(key, 'iam-ServiceId-1234')).toBe('service/security/account/serviceid');
      expect(initiatorTypeURI(key, 'IBMid-1234')).toBe('service/security/account/user');
      expect(credentialType(key)).toBe('token');
    }
  });
});
