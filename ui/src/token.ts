/**
 * The server's token, kept for this tab only (sessionStorage: gone when the tab closes, never
 * shared with other tabs). `auditline ui` prints a URL carrying it in the fragment, which the
 * browser never sends; it is moved here at once and removed from the address bar.
 */
const KEY = 'auditline.token';
const IN_FRAGMENT = /^#token=([^&]+)/;

export function tokenFromFragment(): void {
  const m = IN_FRAGMENT.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(KEY, decodeURIComponent(m[1]!));
  history.replaceState(null, '', `${location.pathname}#/overview`);
}

export const readToken = (): string | null => sessionStorage.getItem(KEY);
export const saveToken = (token: string): void => sessionStorage.setItem(KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(KEY);
