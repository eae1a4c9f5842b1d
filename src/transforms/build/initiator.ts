import { isIP } from 'node:net';

/**
 * Activity Tracker's initiator vocabulary (reference sections 1.1 and 1.2). These are
 * profile facts shared by every service, so they live in code, not in pipeline files.
 */

const TYPE_URI_BY_PRINCIPAL: Record<string, string> = {
  user: 'service/security/account/user',
  serviceid: 'service/security/account/serviceid',
  service: 'service/security/account/service',
  certificate: 'service/security/client/certificateid',
  certificateid: 'service/security/client/certificateid',
  crn: 'service/security/clientid',
  clientid: 'service/security/clientid',
  profile: 'service/security/account/user',
};

/** Guess from the IAM id when the log does not say what kind of principal it is. */
export function initiatorTypeURI(principalType: unknown, iamId: string): string {
  const declared = typeof principalType === 'string' ? ownValue(TYPE_URI_BY_PRINCIPAL, principalType.toLowerCase()) : undefined;
  if (declared) return declared;
  if (iamId.startsWith('iam-ServiceId-')) return TYPE_URI_BY_PRINCIPAL.serviceid!;
  if (iamId.startsWith('CertificateId-')) return TYPE_URI_BY_PRINCIPAL.certificate!;
  if (iamId.startsWith('crn-')) return TYPE_URI_BY_PRINCIPAL.crn!;
  if (iamId === '') return TYPE_URI_BY_PRINCIPAL.service!;
  return TYPE_URI_BY_PRINCIPAL.user!;
}

/** IAM grant type to credential.type, per the 2020 guideline mapping. */
const CREDENTIAL_BY_GRANT: Record<string, string> = {
  apikey: 'apikey',
  'urn:ibm:params:oauth:grant-type:apikey': 'apikey',
  'urn:ibm:params:oauth:grant-type:delegated-refresh-token': 'token',
  'delegated-refresh-token': 'token',
  refresh_token: 'token',
  token: 'token',
  passcode: 'user',
  'urn:ibm:params:oauth:grant-type:passcode': 'user',
  authorization_code: 'user',
  password: 'user',
  'urn:ibm:params:oauth:grant-type:cr-token': 'compute-resource',
  'cr-token': 'compute-resource',
  'urn:ibm:params:oauth:grant-type:iam-authz': 's2s-authorization',
  certificate: 'certificate',
  hmac: 'hmac',
};

export function credentialType(grantType: unknown): string {
  return (typeof grantType === 'string' && ownValue(CREDENTIAL_BY_GRANT, grantType)) || 'token';
}

/** The key comes from the log line: `__proto__` or `constructor` must read as unknown, not as Object's own members. */
function ownValue(table: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Every IPv6 address has a `:` and no IPv4 one does: most addresses skip isIP's expressions. */
export function addressType(address: string): 'IPv4' | 'IPv6' {
  return address.includes(':') && isIP(address) === 6 ? 'IPv6' : 'IPv4';
}
