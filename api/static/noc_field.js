/* fonet web map, NOC view additions: an OTDR break on the map with its uncertainty circle,
   and the month's worst ten served sites by availability. */
'use strict';

(() => {
  const fonet = window.fonet;
  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  /** The end a link is usually measured from: a ring hop's first hub, an access link's site. */
  function defaultEnd(name) {
    const ring = name.match(/:BB\d+:([^>]+)>/);
    if (ring) return ring[1];
    const access = name.match(/:AC:(.+)$/);
    return access ? access[1] : '';
  }

  function drawOtdr(r) {
    if (fonet.layers.otdr) fonet.map.removeLayer(fonet.layers.otdr);
    const at = [r.point.lat, r.point.lon];
    const circle = L.circle(at, { radius: Math.max(r.uncertainty_m, 1), pane: 'points',
      renderer: fonet.svg,
      color: '#6a3d9a', weight: 2, fillOpacity: 0.15, className: 'otdr-uncertainty' });
    const marker = L.circleMarker(at, { radius: 7, pane: 'points', renderer: fonet.svg,
      color: '#fff', weight: 2,
      fillColor: '#6a3d9a', fillOpacity: 1, className: 'otdr-point' })
      .bindTooltip(T('map.otdr.tooltip', { span: r.span.span_id, m: r.uncertainty_m }));
    fonet.layers.otdr = L.layerGroup([circle, marker]);
    if (fonet.view === 'noc') fonet.layers.otdr.addTo(fonet.map);
    fonet.map.setView(at, Math.max(fonet.map.getZoom(), 15));
  }

  function describe(r) {
    const near = r.nearest;
    const s = r.snmp_section;
    let section = '';
    if (s) {
      section = s.agrees
        ? `<p class="agree">${esc(T('map.otdr.agrees', { n: s.spans.length }))}</p>`
        : `<p class="disagree">${esc(s.message)}</p>`;
    }
    return `<div class="figures" id="otdr-figures">` +
      `<span>${esc(T('map.otdr.span'))}</span><b id="otdr-span">${r.span.span_id}</b>` +
      `<span>${esc(T('map.otdr.route_distance'))}</span><b>${r.route_distance_m} m</b>` +
      `<span>${esc(T('map.otdr.uncertainty'))}</span>` +
      `<b id="otdr-uncertainty">±${r.uncertainty_m} m</b>` +
      `<span>${esc(T('map.otdr.point'))}</span>` +
      `<b>${r.point.lon.toFixed(6)}, ${r.point.lat.toFixed(6)}</b>` +
      `<span>${esc(T('map.otdr.nearest', { kind: near.kind }))}</span>` +
      `<b>${near.route_distance_m} m ` +
      `${esc(near.direction)}</b></div>${section}`;
  }

  $('#otdr-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const link = $('#otdr-link').value.trim();
    const from = $('#otdr-from').value.trim();
    const file = $('#otdr-file').files[0];
    const distance = $('#otdr-distance').value;
    const q = new URLSearchParams({ link, from });
    if (!file && distance !== '') q.set('distance_m', distance);
    $('#otdr-result').textContent = T('map.otdr.locating');
    try {
      const res = await fetch(`/api/v1/otdr/locate?${q}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${fonet.token}`, Accept: 'application/json',
                   'Content-Type': 'application/octet-stream' },
        body: file ? await file.arrayBuffer() : undefined,
      });
      const r = await res.json();
      if (!res.ok) throw new Error(r.detail || res.statusText);
      $('#otdr-result').innerHTML = describe(r);
      drawOtdr(r);
      if (window.fonetShare) window.fonetShare.offer('otdr', r.point.lon, r.point.lat);
    } catch (e) { $('#otdr-result').textContent = e.message; }
  });

  function thisMonth() {
    // the regency's month (WIB, UTC+7)
    const wib = new Date(Date.now() + 7 * 3600 * 1000);
    return wib.toISOString().slice(0, 7);
  }

  async function renderWorst() {
    const month = $('#worst-month').value || thisMonth();
    $('#worst-month').value = month;
    try {
      const r = await fonet.api(`/reports/availability?month=${month}&worst_only=true` +
        (fonet.planId ? `&plan_id=${fonet.planId}` : ''));
      $('#worst-list').innerHTML = r.worst.map((w) =>
        `<li data-site="${esc(w.code)}"><b>${w.availability_pct.toFixed(3)} %</b> ` +
        `${esc(w.code)} ${esc(w.name)}<br><small>${esc(w.kecamatan || '')}; ` +
        `${esc(T('map.worst.down', { h: window.fonetI18n.num(w.down_s / 3600, 2) }))}: ` +
        `${Object.entries(w.downtime_by_cause).map(([c, s]) =>
          `${esc(c)} ${window.fonetI18n.num(s / 3600, 2)}`).join(', ')}</small></li>`)
        .join('') || `<li>${esc(T('map.worst.none'))}</li>`;
    } catch (e) { $('#worst-list').innerHTML = `<li>${esc(e.message)}</li>`; }
  }
  $('#worst-month').addEventListener('change', renderWorst);

  /** Called by the NOC view when it shows, and when a link is selected on the map. */
  window.fonetField = {
    show: async () => {
      if (fonet.layers.otdr) fonet.layers.otdr.addTo(fonet.map);
      await renderWorst();
    },
    selectLink: (name) => {
      $('#otdr-link').value = name;
      if (!$('#otdr-from').value) $('#otdr-from').value = defaultEnd(name);
    },
  };
})();
