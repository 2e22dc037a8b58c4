/* fonet web map: the strings of the page in the user's language. The catalogues are the
   files of fonet.i18n (served at i18n/<lang>.json); Bahasa Indonesia by default, English by
   the switch in the header, remembered per browser (localStorage 'fonet.lang'). */
'use strict';

(() => {
  const LANGS = ['id', 'en'];
  const asked = new URLSearchParams(location.search).get('lang') ||
    localStorage.getItem('fonet.lang') || 'id';
  const primary = String(asked).toLowerCase().replace('_', '-').split('-')[0];
  const lang = LANGS.includes(primary) ? primary : 'id';
  const i18n = { lang, fallback: LANGS.includes(primary) ? null : asked, strings: {} };
  window.fonetI18n = i18n;

  /* The text of `key` with `{name}` placeholders filled from `vals`. */
  function T(key, vals) {
    const text = i18n.strings[key];
    if (text === undefined) return key;
    return vals ? text.replace(/\{(\w+)\}/g, (m, k) => (k in vals ? String(vals[k]) : m)) : text;
  }
  window.T = T;
  const locale = lang === 'id' ? 'id-ID' : 'en-GB';
  /* Numbers and dates in the language's own format (1.234,5 in id). */
  i18n.num = (x, digits) => Number(x).toLocaleString(locale,
    digits === undefined ? { maximumFractionDigits: 2 }
      : { minimumFractionDigits: digits, maximumFractionDigits: digits });
  i18n.date = (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso ?? '') : d.toLocaleString(locale,
      { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Jakarta' });
  };

  /* A text made on the server, as {key, params, text} (fonet.i18n.keyed): rendered from the
     catalogue, nested texts and lists ("; ") in turn, decimals in the language's format; the
     server's English `text` when it has no key. */
  i18n.keyed = (item) => {
    if (!item || typeof item !== 'object') return String(item ?? '');
    if (!item.key || i18n.strings[item.key] === undefined) return String(item.text ?? '');
    const vals = {};
    for (const [name, v] of Object.entries(item.params || {})) {
      if (Array.isArray(v)) vals[name] = v.map(i18n.keyed).join('; ');
      else if (v && typeof v === 'object') vals[name] = i18n.keyed(v);
      else if (/^-?\d+\.\d+$/.test(String(v))) {
        vals[name] = i18n.num(Number(v), String(v).split('.')[1].length);
      } else vals[name] = v;
    }
    return T(item.key, vals);
  };

  /* Put the catalogue's text into the page: data-i18n (text), data-i18n-<attr> (attribute). */
  i18n.apply = (root = document) => {
    root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = T(el.dataset.i18n); });
    for (const attr of ['placeholder', 'title', 'aria-label']) {
      root.querySelectorAll(`[data-i18n-${attr}]`).forEach((el) =>
        el.setAttribute(attr, T(el.getAttribute(`data-i18n-${attr}`))));
    }
    document.documentElement.lang = lang;
    document.title = T('map.title');
  };

  /* The catalogue, tried three times; without it the page still works (keys show). */
  async function load() {
    for (let k = 0; k < 3; k += 1) {
      try {
        const r = await fetch(`i18n/${lang}.json`);
        if (r.ok) return await r.json();
      } catch (e) { /* try again */ }
      await new Promise((done) => setTimeout(done, 500 * (k + 1)));
    }
    return {};
  }

  i18n.ready = load().then((strings) => {
    i18n.strings = strings;
    i18n.apply();
    const sel = document.getElementById('lang');
    if (sel) {
      sel.value = lang;
      sel.addEventListener('change', () => {
        localStorage.setItem('fonet.lang', sel.value);
        const url = new URL(location.href);
        url.searchParams.delete('lang');
        location.replace(url.toString());
      });
    }
  });
})();
