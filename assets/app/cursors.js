// The cursor of the last alert the page showed, per series filter, kept in
// localStorage so that a reload or a new visit resumes where the reader left off.

const KEY = 'premiere.release-page.cursors';

function load() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

/** The stored cursor for `filterKey` ('' for all series), or null. */
export function lastShown(filterKey) {
  const cursor = load()[filterKey];
  return typeof cursor === 'string' ? cursor : null;
}

export function remember(filterKey, cursor) {
  const all = load();
  all[filterKey] = cursor;
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // Storage full or disabled: the page still works, it just cannot resume a visit.
  }
}

export function forget(filterKey) {
  const all = load();
  delete all[filterKey];
  try {
    localStorage.setItem(KEY, JSON.stringify(all));
  } catch {
    // As above.
  }
}
