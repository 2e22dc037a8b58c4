/* fonet web map, NOC view at a glance: backbone and access links drawn apart, site markers
   by kind, the located cut drawn under the links (so the down links on it still show), a
   legend for every symbol, alarms placed in their village and kecamatan with a zoom link. */
'use strict';

(() => {
  const fonet = window.fonet;
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const CUT_COLOR = '#ff00ff';
  // site kinds of the plan: symbol (CSS shape class); the label is the catalogue's map.site.<kind>
  const SITE_KINDS = {
    core_pop: ['pop'], hub: ['hub'], kecamatan_office: ['kec'], village_office: ['village'],
    opd: ['opd'], school: ['school'], other: ['other'],
  };
  const kindLabel = (kind) => T(`map.site.${kind}`);
  const noc = {};
  window.fonetNoc = noc;

  /* Line weight and dashes of a link: backbone (ring hops) thick, access thin. */
  noc.linkShape = (p, monitored) => {
    if (p.role === 'backbone') return { weight: monitored ? 7 : 4, dashArray: null };
    if (p.role === 'access') return { weight: monitored ? 3.5 : 1.5, dashArray: monitored ? null : '4 3' };
    return { weight: monitored ? 5 : 2, dashArray: null };
  };

  /* The pane and renderer of the located cut: below the live links' pane. */
  noc.cutRenderer = () => {
    if (!fonet.map.getPane('cut')) fonet.map.createPane('cut').style.zIndex = 430;
    if (!noc._cutSvg) noc._cutSvg = L.svg({ pane: 'cut' });
    return noc._cutSvg;
  };

  noc.cutStyle = { color: CUT_COLOR, weight: 16, opacity: 0.4, lineCap: 'round',
                   className: 'cut' };

  function siteKind(p) {
    if (p.plan_role === 'pop') return 'core_pop';
    if (p.plan_role === 'hub') return 'hub';
    return SITE_KINDS[p.kind] ? p.kind : 'other';
  }

  function siteIcon(kind) {
    const [shape] = SITE_KINDS[kind];
    return L.divIcon({ className: `site-marker site-${shape}`, iconSize: null,
                       html: '<span></span>' });
  }

  /* Site markers of the current plan by kind (POP, hubs, offices, schools). */
  noc.siteLayer = async () => {
    if (!fonet.planId) return null;
    if (fonet.layers.nocSites && noc._sitesPlan === fonet.planId) return fonet.layers.nocSites;
    const fc = await fonet.api(`/plans/${fonet.planId}/sites`);
    noc._sitesPlan = fonet.planId;
    fonet.layers.nocSites = L.geoJSON(fc, {
      pointToLayer: (f, ll) => L.marker(ll, { pane: 'points', icon: siteIcon(siteKind(f.properties)),
                                             keyboard: false, riseOnHover: true }),
      onEachFeature: (f, l) => l.bindTooltip(`${esc(f.properties.name)} (${esc(f.properties.code)}),` +
        ` ${esc(kindLabel(siteKind(f.properties)))}`),
    });
    return fonet.layers.nocSites;
  };

  /* A legend entry for every symbol of the NOC view. */
  noc.legend = (colors) => {
    const states = Object.entries(colors).map(([k, c]) =>
      `<span data-legend="state-${k}"><i style="background:${c}"></i>` +
      `${esc(T(`map.state.${k}`))}</span>`).join('');
    const lines = '<span data-legend="backbone"><i class="line-backbone"></i>' +
      `${esc(T('map.legend.backbone'))}</span>` +
      `<span data-legend="access"><i class="line-access"></i>${esc(T('map.legend.access'))}` +
      '</span><span data-legend="unmonitored"><i class="line-unmonitored"></i>' +
      `${esc(T('map.legend.unmonitored'))}</span>` +
      `<span data-legend="cut"><i style="background:${CUT_COLOR};opacity:0.4"></i>` +
      `${esc(T('map.legend.cut'))}</span>`;
    const sites = Object.entries(SITE_KINDS).map(([k, [shape]]) =>
      `<span data-legend="site-${k}"><b class="site-marker site-${shape}"><span></span></b>` +
      `${esc(kindLabel(k))}</span>`).join('');
    return `<div>${states}</div><div>${lines}</div><div>${sites}</div>` +
      (noc.extraLegend ? noc.extraLegend() : '');
  };

  /* Where an alarm is, by name, with a button that zooms the map there. */
  noc.alarmPlace = (a) => {
    const p = a.place;
    if (!p) return '';
    const where = [p.village && `Desa ${p.village}`, p.kecamatan && `Kec. ${p.kecamatan}`]
      .filter(Boolean).join(', ') || esc(p.site_name || '');
    return `<br><small class="place">${esc(where)}${p.site ? ` — ${esc(p.site)}` : ''}` +
      '</small> ' +
      (p.lon != null ? `<button type="button" class="zoom" data-lon="${p.lon}" ` +
        `data-lat="${p.lat}" title="${esc(T('map.zoom_title'))}">${esc(T('map.zoom'))}</button>`
        : '');
  };

  noc.zoomTo = (lon, lat) => {
    fonet.map.setView([lat, lon], Math.max(fonet.map.getZoom(), 15));
    const mark = L.circleMarker([lat, lon], { pane: 'points', radius: 18, color: '#000',
      weight: 3, fill: false, className: 'zoom-ring' }).addTo(fonet.map);
    setTimeout(() => fonet.map.removeLayer(mark), 4000);
  };

  document.addEventListener('click', (ev) => {
    const b = ev.target.closest && ev.target.closest('button.zoom');
    if (b) noc.zoomTo(Number(b.dataset.lon), Number(b.dataset.lat));
  });
})();
