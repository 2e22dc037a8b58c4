/* fonet web map, fibre view: cables (click one for its fibres and circuits), closures, and a
   circuit's trace drawn fibre by fibre. Needs app.js (window.fonet). */
'use strict';

(() => {
  const fonet = window.fonet;
  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const FIBRE_HEX = {
    blue: '#1f5fbf', orange: '#f28c1c', green: '#2e9e3e', brown: '#7b4a1e', slate: '#708090',
    white: '#ffffff', red: '#d62728', black: '#111111', yellow: '#f5d40f', violet: '#8a3fbf',
    rose: '#f4a6c0', aqua: '#2ec4c4',
  };
  const LAYERS = ['cables', 'closures', 'trace'];
  const fibre = { loaded: false, loading: null, selected: null };
  window.fonetFibre = fibre;

  const swatch = (c) => `<span class="swatch" title="${esc(c)}" style="background:` +
    `${FIBRE_HEX[String(c).split('/')[0]] || '#ccc'}"></span>`;

  function cableStyle(p, selected) {
    return { color: p.role === 'backbone' ? '#6a3d9a' : '#0868ac',
             weight: selected ? 7 : p.role === 'backbone' ? 4 : 2.5,
             opacity: selected ? 1 : 0.8, className: 'cable' };
  }

  async function loadLayers() {
    const [cables, closures] = await Promise.all([
      fonet.api('/cables/geojson'), fonet.api('/closures/geojson')]);
    fonet.layers.cables = L.geoJSON(cables, {
      pane: 'live', renderer: fonet.svg,
      style: (f) => cableStyle(f.properties, false),
      onEachFeature: (f, layer) => {
        layer.on('add', () => {
          const el = layer.getElement && layer.getElement();
          if (el) el.setAttribute('data-cable', f.properties.code);
        });
        layer.on('click', (ev) => { L.DomEvent.stopPropagation(ev); showCable(layer); });
        layer.bindTooltip(() => esc(T('map.fibre.cable_tip', { code: f.properties.code,
          cores: f.properties.cores, used: f.properties.fibres_in_use })), { sticky: true });
      },
    });
    fonet.layers.closures = L.geoJSON(closures, {
      pane: 'points',
      pointToLayer: (f, ll) => L.circleMarker(ll, {
        pane: 'points', radius: f.properties.kind === 'branch' ? 4 : 3, color: '#333',
        fillColor: f.properties.kind === 'branch' ? '#fec44f' : '#fff', fillOpacity: 1,
        weight: 1 }),
      onEachFeature: (f, l) => {
        l.bindPopup(`<b>${esc(f.properties.code)}</b><br>` +
          esc(T('map.fibre.closure_popup', { kind: f.properties.kind,
            splices: f.properties.splices, trays: f.properties.trays })));
        // a closure clicked: its point to share with the splicer (#closure=CODE)
        l.on('popupopen', () => {
          if (window.fonetShare) {
            const ll = l.getLatLng();
            window.fonetShare.offer('closure', ll.lng, ll.lat, f.properties.code);
          }
        });
      },
    });
    $('#fibre-counts').textContent = T('map.fibre.counts',
      { cables: cables.features.length, closures: closures.features.length });
    fibre.loaded = true;
  }

  /* Click on a cable: list its fibres by tube, with state and circuit. */
  async function showCable(layer) {
    if (fibre.selected) fibre.selected.setStyle(cableStyle(fibre.selected.feature.properties,
      false));
    fibre.selected = layer;
    layer.setStyle(cableStyle(layer.feature.properties, true));
    const code = layer.feature.properties.code;
    const box = $('#fibre-cable');
    box.innerHTML = `<p>${esc(T('map.fibre.loading', { code }))}</p>`;
    try {
      const c = await fonet.api(`/cables/${encodeURIComponent(code)}`);
      const rows = c.schematic.tubes.flatMap((t) => t.fibres.map((f) =>
        `<tr data-fibre="${f.fibre}" class="fibre-${esc(f.state)}"><td>${f.fibre}</td>` +
        `<td>${swatch(f.tube_colour)}${swatch(f.colour)} ${esc(f.tube_colour)}/` +
        `${esc(f.colour)}</td><td>${esc(f.state)}</td><td>${f.circuit
          ? `<a href="#" class="trace-link" data-link="${esc(f.circuit)}">` +
            `${esc(f.circuit)}</a>` : ''}</td></tr>`));
      box.innerHTML = `<h3 id="cable-title">${esc(c.code)}</h3>` +
        `<p>${esc(T('map.fibre.cable', { cores: c.cores, layout: c.tube_layout,
          type: c.cable_type, km: window.fonetI18n.num(c.length_m / 1000, 2), status: c.status,
          used: c.fibres_in_use, spare: c.fibres_spare }))}<br>A: ${esc(c.schematic.a_end)} — Z: ` +
        `${esc(c.schematic.z_end)}</p>` +
        `<table id="fibre-table"><thead><tr><th>#</th><th>${esc(T('map.fibre.colour'))}</th>` +
        `<th>${esc(T('map.fibre.state'))}</th><th>${esc(T('map.fibre.circuit'))}</th></tr>` +
        `</thead><tbody>${rows.join('')}</tbody></table>`;
      box.querySelectorAll('.trace-link').forEach((a) => a.addEventListener('click', (ev) => {
        ev.preventDefault(); showTrace(a.dataset.link);
      }));
    } catch (e) { box.textContent = e.message; }
  }

  /* Draw a circuit's trace: its fibres' cables and the splices on the way. */
  async function showTrace(link) {
    if (fonet.layers.trace) fonet.map.removeLayer(fonet.layers.trace);
    const fc = await fonet.api(`/traces/${encodeURIComponent(link)}/geojson`);
    fonet.layers.trace = L.geoJSON(fc, {
      pane: 'live', renderer: fonet.svg,
      style: () => ({ color: '#e31a1c', weight: 8, opacity: 0.85, className: 'trace' }),
      pointToLayer: (f, ll) => L.circleMarker(ll, { pane: 'live', renderer: fonet.svg,
        radius: 6, color: '#e31a1c', fillColor: '#fff', fillOpacity: 1, weight: 3,
        className: 'trace-splice' }),
      onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.kind === 'fibre'
        ? T('map.fibre.fibre_tip', { cable: f.properties.cable, fibre: f.properties.fibre,
          colours: `${f.properties.tube_colour}/${f.properties.colour}` })
        : T('map.fibre.splice_tip', { closure: f.properties.closure,
          tray: f.properties.tray }))),
    }).addTo(fonet.map);
    const t = fc.trace;
    $('#fibre-trace').innerHTML = `<h3>${esc(T('map.fibre.trace', { link: t.link }))}</h3>` +
      `<p id="trace-summary">${esc(T('map.fibre.trace_summary', {
        km: window.fonetI18n.num(t.length_m / 1000, 2), splices: t.splices,
        loss: window.fonetI18n.num(t.loss_db), budget: window.fonetI18n.num(t.budget_db),
        transceiver: t.transceiver }))}</p>`;
    if (fonet.layers.trace.getBounds().isValid()) {
      fonet.map.fitBounds(fonet.layers.trace.getBounds(), { padding: [30, 30], animate: false });
    }
  }

  fibre.show = async () => {
    if (!fibre.loading) fibre.loading = loadLayers();
    await fibre.loading;
    fonet.layers.cables.addTo(fonet.map);
    fonet.layers.closures.addTo(fonet.map);
    fonet.layers.trace?.addTo(fonet.map);
  };
  fibre.hide = () => LAYERS.forEach((k) => {
    if (fonet.layers[k]) fonet.map.removeLayer(fonet.layers[k]);
  });
  fibre.showTrace = showTrace;

  // app.js shows this view (showView → fibre.show); leaving it hides the fibre layers
  document.querySelectorAll('#views button').forEach((b) => b.addEventListener('click', () => {
    if (b.dataset.view !== 'fibre') fibre.hide();
  }));
})();
