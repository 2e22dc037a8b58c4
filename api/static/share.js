/* fonet web map, for the field: a cut, an OTDR point, a site or a closure as a link that opens
   the map there (#cut, #otdr=lon,lat, #site=CODE, #closure=CODE), with the point as a geo: URI for a phone's
   navigation app and as coordinates to copy. A link to something that no longer exists opens
   the map with a message. Needs app.js, i18n.js and live.js. */
'use strict';

(() => {
  const fonet = window.fonet;
  const $ = (sel) => document.querySelector(sel);
  const share = {};
  window.fonetShare = share;

  /* The shared target in the URL's hash, or null. */
  share.parse = () => {
    const h = decodeURIComponent(location.hash.replace(/^#/, ''));
    if (h === 'cut') return { kind: 'cut', view: 'noc' };
    let m = h.match(/^otdr=(-?[\d.]+),(-?[\d.]+)$/);
    if (m) return { kind: 'otdr', view: 'noc', lon: Number(m[1]), lat: Number(m[2]) };
    m = h.match(/^site=(.+)$/);
    if (m) return { kind: 'site', view: 'noc', code: m[1] };
    m = h.match(/^closure=(.+)$/);
    if (m) return { kind: 'closure', view: 'fibre', code: m[1] };
    return null;
  };

  function hashOf(kind, lon, lat, code) {
    if (kind === 'cut') return '#cut';
    if (kind === 'site') return `#site=${encodeURIComponent(code)}`;
    if (kind === 'closure') return `#closure=${encodeURIComponent(code)}`;
    return `#otdr=${lon.toFixed(6)},${lat.toFixed(6)}`;
  }

  /* Show the point: a marker, the geo: URI, the coordinates and the link to share. */
  share.offer = (kind, lon, lat, code) => {
    if (fonet.layers.share) fonet.map.removeLayer(fonet.layers.share);
    fonet.layers.share = L.circleMarker([lat, lon], { pane: 'points', renderer: fonet.svg,
      radius: 12, color: '#000', weight: 3, fillColor: '#ff00ff', fillOpacity: 0.6,
      className: 'share-point' }).addTo(fonet.map);
    const coords = `${lat.toFixed(6)}, ${lon.toFixed(6)}`;
    const what = kind === 'cut' ? T('map.share.cut')
      : kind === 'site' ? T('map.share.site', { code })
        : kind === 'closure' ? T('map.share.closure', { code }) : T('map.share.otdr');
    $('#share-what').textContent = what;
    $('#share-coords').textContent = coords;
    $('#share-geo').href = `geo:${lat.toFixed(6)},${lon.toFixed(6)}?q=${lat.toFixed(6)},` +
      `${lon.toFixed(6)}(${encodeURIComponent(what)})`;
    const link = new URL(location.href);
    link.hash = hashOf(kind, lon, lat, code);
    $('#share-link').href = link.toString();
    $('#share').hidden = false;
    $('#share').dataset.lon = lon;
    $('#share').dataset.lat = lat;
  };

  function missing(what) {
    $('#share').hidden = true;
    fonet.message(T('map.share.missing', { what }));
  }

  /* A point on the located cut: the middle of its first line's vertices. */
  function cutPoint(gj) {
    const feats = gj.type === 'FeatureCollection' ? gj.features : [gj];
    for (const f of feats) {
      const g = f.geometry || f;
      const lines = g.type === 'LineString' ? [g.coordinates]
        : g.type === 'MultiLineString' ? g.coordinates : [];
      const pts = lines.flat();
      if (!pts.length) continue;
      if (pts.length % 2) return pts[(pts.length - 1) / 2];
      // between the two middle vertices (a two-vertex span: its middle, not a hub at its end)
      const [p, q] = [pts[pts.length / 2 - 1], pts[pts.length / 2]];
      return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
    }
    return null;
  }

  /* Open the map at a shared target (after the view is shown). */
  share.open = async (s) => {
    const zoom = (lon, lat) => fonet.map.setView([lat, lon], Math.max(fonet.map.getZoom(), 16),
      { animate: false });
    if (s.kind === 'cut') {
      const cut = window.fonetLive && window.fonetLive.cut;
      const pt = cut && cut.geojson ? cutPoint(cut.geojson) : null;
      if (!pt) { missing(T('map.share.what_cut')); return; }
      zoom(pt[0], pt[1]);
      share.offer('cut', pt[0], pt[1]);
    } else if (s.kind === 'otdr') {
      const inside = fonet.layers.regency && Number.isFinite(s.lon) && Number.isFinite(s.lat) &&
        fonet.layers.regency.getBounds().pad(0.05).contains([s.lat, s.lon]);
      if (!inside) { missing(T('map.share.what_point', { coords: `${s.lon},${s.lat}` })); return; }
      zoom(s.lon, s.lat);
      share.offer('otdr', s.lon, s.lat);
    } else if (s.kind === 'site') {
      try {
        const site = await fonet.api(`/sites/${encodeURIComponent(s.code)}`);
        zoom(site.lon, site.lat);
        share.offer('site', site.lon, site.lat, site.code);
      } catch (e) {
        if (e.status !== 404) throw e;
        missing(T('map.share.what_site', { code: s.code }));
      }
    } else if (s.kind === 'closure') {
      try {
        const clo = await fonet.api(`/closures/${encodeURIComponent(s.code)}`);
        if (clo.lon == null || clo.lat == null) throw Object.assign(new Error(), { status: 404 });
        zoom(clo.lon, clo.lat);
        share.offer('closure', clo.lon, clo.lat, clo.code);
      } catch (e) {
        if (e.status !== 404) throw e;
        missing(T('map.share.what_closure', { code: s.code }));
      }
    }
  };

  $('#share-copy').addEventListener('click', async () => {
    const text = $('#share-coords').textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      // no clipboard permission (plain http): select the text for a long press / Ctrl+C
      const range = document.createRange();
      range.selectNodeContents($('#share-coords'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    fonet.message(T('map.share.copied'));
  });

  window.addEventListener('hashchange', async () => {
    const s = share.parse();
    if (!s || !fonet.started) return;
    try {
      if (fonet.view !== s.view) await fonet.showView(s.view);
      await share.open(s);
    } catch (e) { fonet.message(e.message); }
  });
})();
