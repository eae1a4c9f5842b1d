import { createHash } from 'node:crypto';

/**
 * Deterministic ids: the event id is derived from the raw line, so re-ingesting a
 * file, a retried batch or a shipper's resend yields the same id and adds nothing.
 * The domain prefix keeps these digests apart from any other use of SHA-256.
 */
const DOMAIN = 'auditline/event/v1\n';

export interface LineIds {
  eventId: string;
  /** Used as correlationId when the request carried none. */
  derivedCorrelationId: string;
}

export function idsOfLine(line: string): LineIds {
  const hex = createHash('sha256').update(DOMAIN).update(line).digest('hex');
  return { eventId: asUuid(hex.slice(0, 32)), derivedCorrelationId: asUuid(hex.slice(32, 64)) };
}

/** Formats 128 bits as a version-8 (custom) UUID, so tools that expect UUIDs accept it. */
function asUuid(hex32: string): string {
  const variant = ((parseInt(hex32[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex32.slice(0, 8)}-${hex32.slice(8, 12)}-8${hex32.slice(13, 16)}-${variant}${hex32.slice(17, 20)}-${hex32.slice(20, 32)}`;
}
