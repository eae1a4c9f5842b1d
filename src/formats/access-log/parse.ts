import { parseEventTime } from '../activity-tracker/event-time.js';
import type { HttpRequestFacts } from '../http-request.js';

/**
 * Text access logs, one regular expression per format, applied to whole lines. A quoted field
 * may hold `\"` (Apache) or `\x22` (nginx) escapes; both are read as written, never unescaped
 * into anything executable. `-` means "absent" in every field.
 */

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';

/**
 * nginx `combined` = Apache `combined`: `$remote_addr - $remote_user [$time_local] "$request"
 * $status $body_bytes_sent "$http_referer" "$http_user_agent"`; Apache `common` (no referer and
 * agent) and formats that append fields after the agent are accepted too.
 */
export const COMBINED = new RegExp(`^(\\S+) \\S+ (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}) (?:\\d+|-)(?: ${QUOTED} ${QUOTED})?(?: .*)?$`);

/**
 * Envoy's default format: `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%
 * %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 * %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 * "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`.
 */
export const ENVOY = new RegExp(`^\\[([^\\]]+)\\] ${QUOTED} (\\d{1,3}) \\S+ \\S+ \\S+ \\S+ \\S+ ${QUOTED} ${QUOTED} ${QUOTED} ${QUOTED} ${QUOTED}(?: .*)?$`);

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};
/** `$time_local`: `10/Oct/2000:13:55:36 -0700` */
const TIME_LOCAL = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})$/;

const present = (v: string | undefined): string | undefined => (v === undefined || v === '' || v === '-' ? undefined : v);

/** `"GET /path?q HTTP/1.1"`: method and URL, or nothing for `"-"` and garbage (they become missing_field). */
function requestLine(text: string): { method: string; url: string } {
  const [method = '', url = ''] = text.split(' ');
  return /^[A-Z]+$/.test(method) && url.startsWith('/') ? { method, url } : { method: '', url: '' };
}

export function parseTimeLocal(text: string): number | undefined {
  const m = TIME_LOCAL.exec(text);
  const month = m ? MONTHS[m[2]!] : undefined;
  if (!m || !month) return undefined;
  return parseEventTime(`${m[3]}-${month}-${m[1]}T${m[4]}:${m[5]}:${m[6]}${m[7]}`)?.ms;
}

export function parseCombinedLine(line: string): HttpRequestFacts | undefined {
  const m = COMBINED.exec(line);
  if (!m) return undefined;
  const [, address, user, timeLocal, request = '', status, , agent] = m;
  const time = parseTimeLocal(timeLocal!);
  if (time === undefined) return undefined;
  const who = present(user);
  return {
    time,
    ...requestLine(request),
    status: Number(status),
    remoteAddress: present(address),
    userAgent: present(agent),
    // $remote_user is the HTTP basic-auth user: the only identity a combined log has.
    initiator: who ? { id: who, name: who, type: 'user' } : undefined,
  };
}

export function parseEnvoyLine(line: string): HttpRequestFacts | undefined {
  const m = ENVOY.exec(line);
  if (!m) return undefined;
  const [, start, request = '', status, forwardedFor, agent, requestId, authority] = m;
  const time = parseEventTime(start)?.ms;
  if (time === undefined) return undefined;
  return {
    time,
    ...requestLine(request),
    status: Number(status),
    host: present(authority),
    // The client is the first address X-Forwarded-For names (the default format has no peer address).
    remoteAddress: present(forwardedFor?.split(',')[0]?.trim()),
    userAgent: present(agent),
    requestId: present(requestId),
  };
}
