/** CRN format: crn:v1:bluemix:public:<service>:<location>:a/<account>:<instance>:<resource-type>:<resource> */

export function instanceCRN(service: string, location: string, account: string, instance: string): string {
  return `crn:v1:bluemix:public:${service}:${location}:${account ? `a/${account}` : ''}:${instance}::`;
}

export function resourceCRN(service: string, location: string, account: string, instance: string, resourceType: string, resource: string): string {
  return `crn:v1:bluemix:public:${service}:${location}:${account ? `a/${account}` : ''}:${instance}:${resourceType}:${resource}`;
}

/** The location segment of a CRN, tolerating the missing `crn:` prefix seen in real events. */
export function locationOfCRN(crn: string): string | undefined {
  const parts = (crn.startsWith('crn:') ? crn : `crn:${crn}`).split(':');
  return parts.length >= 6 && parts[5] ? parts[5] : undefined;
}
