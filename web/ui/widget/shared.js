// Code shared by the loader and the UI bundle (esbuild copies it into both).

// LANGS are the languages the widget speaks.
export const LANGS = ['en', 'de', 'fr', 'it'];

// pickLang chooses the widget's language: the snippet's data-lang, else the
// browser's preferred languages, else English.
export function pickLang(attr) {
  for (const l of [attr].concat(navigator.languages || [navigator.language])) {
    const c = String(l || '').slice(0, 2).toLowerCase();
    if (LANGS.includes(c)) return c;
  }
  return 'en';
}

// storeKey is the localStorage key of a contact's task: {taskId,
// resumeToken, lastSeq, seen, open, ended, leave, outcome, rated}.
export const storeKey = (contactId) => 'interact:' + contactId;

// readStore returns the stored task of a contact, or null.
export function readStore(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}
