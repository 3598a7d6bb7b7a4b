// The widget's texts in English, German, French and Italian live in
// texts.json (the server reads them too, to list and check a service's
// overrides). {name}, {n} and {m} are filled in by fmt. errors explains every
// refusal code of the widget endpoints (docs/protocol.md) in plain words.

export { default as TEXTS } from './texts.json';

// fmt fills {placeholders} of s from vars.
export const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
