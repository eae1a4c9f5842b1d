import { ACTION_TAXONOMY, CADF_EVENT_TYPE_URI, EVENT_TYPES, inTaxonomy, OUTCOMES, REFERENCE_IDS, REPORTER_ROLES, RESOURCE_TAXONOMY } from './cadf-taxonomy.js';

/**
 * pycadf's validation rules, as reference section 2.3 states them, over a plain JSON event:
 * `Event.is_valid()`, `Resource.is_valid()`, `Reason.is_valid()`, the taxonomy and enum checks
 * its ValidatorDescriptors run on assignment, and their refusal of `None`. One rule is stricter
 * than pycadf's code: eventTime must have DSP0262's form (numeric `hh:mm` offset, no `Z`),
 * which pycadf only states in its specification pages. Returns every problem, [] when valid.
 */

/** DSP0262 timestamp: `yyyy-mm-ddThh:mm:ss[.s+](+|-)hh:mm`. */
const CADF_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIdentifier = (v: unknown): v is string => typeof v === 'string' && v !== '';
const has = (o: Json, key: string) => Object.prototype.hasOwnProperty.call(o, key);

export function validateCadf(event: unknown): string[] {
  const problems: string[] = [];
  const fail = (path: string, message: string) => problems.push(`${path} ${message}`);
  if (!isObject(event)) return ['/ an event must be a JSON object'];

  for (const [key, v] of Object.entries(event)) if (v === null) fail(`/${key}`, 'is null (pycadf refuses None for any attribute)');

  if (event.typeURI !== CADF_EVENT_TYPE_URI) fail('/typeURI', `must be ${CADF_EVENT_TYPE_URI}`);
  if (!(EVENT_TYPES as readonly unknown[]).includes(event.eventType)) fail('/eventType', `must be one of ${EVENT_TYPES.join(', ')}`);
  if (!isIdentifier(event.id)) fail('/id', 'must be a non-empty string');
  if (typeof event.eventTime !== 'string') fail('/eventTime', 'must be a string');
  else if (!CADF_TIMESTAMP.test(event.eventTime)) fail('/eventTime', 'must be yyyy-mm-ddThh:mm:ss[.s+](+|-)hh:mm');
  if (typeof event.action !== 'string' || !inTaxonomy(event.action, ACTION_TAXONOMY)) fail('/action', 'is not in the CADF action taxonomy');
  if (!(OUTCOMES as readonly unknown[]).includes(event.outcome)) fail('/outcome', `must be one of ${OUTCOMES.join(', ')}`);

  for (const role of ['initiator', 'target', 'observer'] as const) {
    const idKey = `${role}Id`;
    if (has(event, role) === has(event, idKey)) {
      fail(`/${role}`, `exactly one of ${role} and ${idKey} must be set`);
      continue;
    }
    if (has(event, idKey)) {
      if (!isIdentifier(event[idKey])) fail(`/${idKey}`, 'must be a non-empty string');
      continue;
    }
    checkResource(event[role], `/${role}`, fail);
    // The initiator and the target are real resources, not references to themselves.
    if (role !== 'observer' && isObject(event[role]) && event[role].id === role) fail(`/${role}/id`, `must not be the literal "${role}"`);
  }

  if (has(event, 'reason')) checkReason(event.reason, fail);
  if (event.eventType === 'control' && !has(event, 'reason')) fail('/reason', 'is required for control events');
  if (event.eventType === 'monitor' && !(Array.isArray(event.measurements) && event.measurements.length > 0))
    fail('/measurements', 'are required for monitor events');
  if (has(event, 'severity') && typeof event.severity !== 'string') fail('/severity', 'must be a string');
  if (has(event, 'name') && typeof event.name !== 'string') fail('/name', 'must be a string');
  if (has(event, 'tags') && !Array.isArray(event.tags)) fail('/tags', 'must be an array');
  if (has(event, 'attachments')) checkAttachments(event.attachments, '/attachments', fail);
  if (has(event, 'reporterchain')) checkReporterChain(event.reporterchain, fail);
  return problems;
}

type Fail = (path: string, message: string) => void;

/** `Resource.is_valid()`: an id and a taxonomy typeURI, or the bare reference form `{"id": "target"}`. */
function checkResource(r: unknown, path: string, fail: Fail): void {
  if (!isObject(r)) return fail(path, 'must be a resource object');
  for (const [key, v] of Object.entries(r)) if (v === null) fail(`${path}/${key}`, 'is null');
  if (!isIdentifier(r.id)) return fail(`${path}/id`, 'must be a non-empty string');
  const reference = (REFERENCE_IDS as readonly string[]).includes(r.id) && Object.keys(r).length === 1;
  if (reference) return;
  if (typeof r.typeURI !== 'string') fail(`${path}/typeURI`, 'must be set');
  else if (!inTaxonomy(r.typeURI, RESOURCE_TAXONOMY)) fail(`${path}/typeURI`, 'is not in the CADF resource taxonomy');
  if (has(r, 'name') && typeof r.name !== 'string') fail(`${path}/name`, 'must be a string');
  if (has(r, 'host')) {
    if (!isObject(r.host)) fail(`${path}/host`, 'must be an object');
    else
      for (const k of ['id', 'address', 'agent', 'platform'])
        if (has(r.host, k) && typeof r.host[k] !== 'string') fail(`${path}/host/${k}`, 'must be a string');
  }
  if (has(r, 'credential')) {
    if (!isObject(r.credential) || typeof r.credential.token !== 'string') fail(`${path}/credential`, 'must have a token');
  }
  if (has(r, 'attachments')) checkAttachments(r.attachments, `${path}/attachments`, fail);
}

/** `Reason.is_valid()`: (reasonType and reasonCode) or (policyType and policyId), each a string. */
function checkReason(reason: unknown, fail: Fail): void {
  if (!isObject(reason)) return fail('/reason', 'must be an object');
  for (const k of ['reasonType', 'reasonCode', 'policyType', 'policyId']) {
    if (has(reason, k) && typeof reason[k] !== 'string') fail(`/reason/${k}`, 'must be a string');
  }
  const present = (k: string) => typeof reason[k] === 'string' && reason[k] !== '';
  if (!((present('reasonType') && present('reasonCode')) || (present('policyType') && present('policyId')))) {
    fail('/reason', 'needs reasonType and reasonCode, or policyType and policyId');
  }
}

function checkAttachments(value: unknown, path: string, fail: Fail): void {
  if (!Array.isArray(value)) return fail(path, 'must be an array');
  value.forEach((a, i) => {
    if (!isObject(a) || typeof a.typeURI !== 'string' || typeof a.name !== 'string' || a.content === undefined || a.content === null) {
      fail(`${path}/${i}`, 'needs typeURI, name and content');
    }
  });
}

function checkReporterChain(value: unknown, fail: Fail): void {
  if (!Array.isArray(value)) return fail('/reporterchain', 'must be an array');
  value.forEach((step, i) => {
    const path = `/reporterchain/${i}`;
    if (!isObject(step)) return fail(path, 'must be an object');
    if (!(REPORTER_ROLES as readonly unknown[]).includes(step.role)) fail(`${path}/role`, `must be one of ${REPORTER_ROLES.join(', ')}`);
    if (has(step, 'reporter') === has(step, 'reporterId')) fail(path, 'exactly one of reporter and reporterId must be set');
    else if (has(step, 'reporter')) checkResource(step.reporter, `${path}/reporter`, fail);
  });
}
