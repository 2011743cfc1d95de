/**
 * Host name and address checks shared by the CLI and the API.
 * @module
 */

const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for an IPv4 address in dotted-quad form. */
export function isIPv4(text: string): boolean {
  return IPV4_RE.test(text);
}

/** True for an IPv6 literal (with or without brackets). */
export function isIPv6(text: string): boolean {
  const bare = text.replace(/^\[|\]$/g, "");
  if (!bare.includes(":")) return false;
  try {
    new URL(`http://[${bare}]/`);
    return true;
  } catch {
    return false;
  }
}

/** True for an IP address or a DNS host name (RFC 1123). */
export function isHost(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  if (isIPv4(text) || isIPv6(text)) return true;
  if (/^[\d.]+$/.test(text)) return false; // looks like a broken IPv4
  return text.replace(/\.$/, "").split(".").every((label) => LABEL_RE.test(label));
}

/** Removes IPv6 brackets. */
export function bareHost(text: string): string {
  return text.replace(/^\[|\]$/g, "");
}
