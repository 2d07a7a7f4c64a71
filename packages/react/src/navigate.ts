/**
 * Full-page navigation (login and logout are redirects, never fetches).
 * Internal: a module-level object so tests can stub `nav.go`.
 */
export const nav = {
  go(url: string): void {
    window.location.assign(url);
  },
};
