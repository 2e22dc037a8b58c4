/* fonet web map: login, base layers, plan view, coverage view. The NOC view is in live.js. */
'use strict';

const API = '/api/v1';
const STATE_COLORS = { up: '#1a9641', degraded: '#fd8d3c', down: '#d7191c', unknown: '#9e9e9e' };
const COVER_COLORS = { built: '#1a9641', planned: '#fdae61', not_covered: '#d7191c' };
// the words of fonet.coverage: built (in service), planned (reached by the plan), not covered
const coverLabel = (status) => T(`map.cover.${status}`);
const RING_COLORS = ['#6a3d9a', '#e31a1c', '#ff7f00', '#33a02c', '#b15928', '#e7298a',
                     '#1b9e77', '#525252'];
const ACCESS_COLOR = '#41b6c4';
const ROLES = ['viewer', 'engineer', 'admin'];

const fonet = {
  token: sessionStorage.getItem('fonet.token'),
  me: null, config: null, map: null, planId: null, view: 'plan',
  layers: {}, started: false,
};
window.fonet = fonet;

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const km = (m) => window.fonetI18n.num(m / 1000) + ' km';
const rupiah = (x) => 'Rp' + window.fonetI18n.num(Math.round(x), 0);

function can(role) {
  return fonet.me && ROLES.indexOf(fonet.me.role) >= ROLES.indexOf(role);
}

function message(text) { $('#message').textContent = text || ''; }

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status; this.problem = problem;
  }
}

/* Call the API with the token; problem details become ApiError, 401 asks for a token. */
async function api(path, { method = 'GET', body, raw = false, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (fonet.token) headers.Authorization = `Bearer ${fonet.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(API + path, {
    method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    let problem = {};
    try { problem = await res.json(); } catch (e) { problem = { detail: res.statusText }; }
    if (res.status === 401) showLogin(problem.detail);
    throw new ApiError(res.status, problem);
  }
  if (raw) return res;
  return res.status === 204 ? null : res.json();
}
fonet.api = api;
fonet.can = can;
fonet.message = message;

/* -- login ---------------------------------------------------------------------------- */
function showLogin(reason) {
  $('#login').hidden = false;
  $('#login-error').textContent = reason || '';
  $('#token').focus();
}

async function login(token) {
  fonet.token = token;
  try {
    fonet.me = await api('/me');
  } catch (e) {
    fonet.token = null;
    sessionStorage.removeItem('fonet.token');
    showLogin(e.message);
    return false;
  }
  sessionStorage.setItem('fonet.token', token);
  $('#login').hidden = true;
  $('#who').textContent = `${fonet.me.name} (${T(`map.role.${fonet.me.role}`)})`;
  return true;
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (await login($('#token').value.trim())) start();
});

$('#logout').addEventListener('click', () => {
  sessionStorage.removeItem('fonet.token');
  location.reload();
});

/* -- map and base layers ------------------------------------------------------------ */
function initMap() {
  const map = L.map('map', { preferCanvas: true, zoomSnap: 0.25 }).setView([-7.55, 112.5], 11);
  fonet.map = map;
  map.createPane('areas').style.zIndex = 350;
  map.createPane('fibre').style.zIndex = 420;
  map.createPane('live').style.zIndex = 440;
  map.createPane('points').style.zIndex = 460;
  fonet.svg = L.svg({ pane: 'live' });
  if (fonet.config.basemap_url) {
    L.tileLayer(fonet.config.basemap_url, {
      attribution: fonet.config.basemap_attribution, maxZoom: 19,
    }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
}

/* -- detail by zoom (api/detail.py): the big layers simplified below zoom 13 --------------- */
const DETAIL_BANDS = [10, 12];

function detailBand() {
  return DETAIL_BANDS.find((b) => fonet.map.getZoom() <= b) ?? null;
}

/* `path` asked at the detail of the map's zoom (the whole layer above the last band). */
function atZoom(path) {
  const band = detailBand();
  return band === null ? path : `${path}${path.includes('?') ? '&' : '?'}zoom=${band}`;
}
fonet.atZoom = atZoom;

/* The zoom crossed a band: the villages, spans and coverage again at the new detail (the
   server keeps each band's answer; the browser revalidates it with its ETag). */
async function refreshDetail() {
  const band = detailBand();
  if (band === fonet.band) return;
  fonet.band = band;
  const swap = async (layer, path) => {
    if (!layer) return;
    const data = await api(atZoom(path));
    if (fonet.band !== band) return; // zoomed on meanwhile
    layer.clearLayers();
    layer.addData(data);
  };
  const plan = fonet.planId;
  await Promise.all([
    swap(fonet.layers.villagesBase, '/areas/village'),
    plan && swap(fonet.layers.spans, `/plans/${plan}/spans`),
    plan && swap(fonet.layers.coverage, `/plans/${plan}/villages`)]);
}

async function loadBase() {
  const [regency, kec] = await Promise.all([api('/areas/regency'), api('/areas/kecamatan')]);
  const base = !fonet.config.basemap_url;
  fonet.layers.villagesBase = L.geoJSON(null, {
    pane: 'areas',
    style: { color: '#8aa0b4', weight: 0.5, fillColor: base ? '#f7f4ea' : '#fff',
             fillOpacity: base ? 1 : 0 },
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name, { sticky: true }),
  }).addTo(fonet.map);
  fonet.layers.kecamatan = L.geoJSON(kec, {
    pane: 'areas', interactive: false,
    style: { color: '#51708f', weight: 1.5, fill: false },
    onEachFeature: (f, l) => l.bindTooltip(f.properties.name,
      { permanent: true, direction: 'center', className: 'area-label' }),
  }).addTo(fonet.map);
  fonet.layers.regency = L.geoJSON(regency, {
    pane: 'areas', interactive: false, style: { color: '#16324f', weight: 3, fill: false },
  }).addTo(fonet.map);
  // not animated: a shared link's zoom right after must not be undone by the animation's end
  fonet.map.fitBounds(fonet.layers.regency.getBounds(), { padding: [10, 10], animate: false });
  fonet.band = detailBand();
  fonet.layers.villagesBase.addData(await api(atZoom('/areas/village')));
  fonet.map.on('zoomend', () => refreshDetail().catch((e) => message(e.message)));
}

/* -- plans -------------------------------------------------------------------------- */
async function loadPlans() {
  const page = await api('/plans?limit=100');
  const sel = $('#plan-select');
  sel.innerHTML = page.items.map((p) => `<option value="${p.id}">${esc(p.name)} (#${p.id})` +
    '</option>').join('') || `<option value="">${esc(T('map.no_plan'))}</option>`;
  fonet.planId = page.items.length ? page.items[0].id : null;
  sel.value = fonet.planId ?? '';
}

$('#plan-select').addEventListener('change', async (ev) => {
  fonet.planId = Number(ev.target.value) || null;
  for (const k of ['spans', 'planSites', 'coverage', 'nocSites']) dropLayer(k);
  await showView(fonet.view);
});

function dropLayer(name) {
  if (fonet.layers[name]) { fonet.map.removeLayer(fonet.layers[name]); }
  delete fonet.layers[name];
}

function spanStyle(f) {
  const p = f.properties;
  if (p.role === 'backbone') {
    return { color: RING_COLORS[(p.ring ?? 0) % RING_COLORS.length], weight: 4.5 };
  }
  return { color: ACCESS_COLOR, weight: 2 };
}

async function planLayers() {
  if (!fonet.planId) { $('#plan-figures').textContent = T('map.no_plan_stored'); return; }
  if (!fonet.layers.spans) {
    const [spans, sites, plan] = await Promise.all([
      api(atZoom(`/plans/${fonet.planId}/spans`)), api(`/plans/${fonet.planId}/sites`),
      api(`/plans/${fonet.planId}`)]);
    fonet.layers.spans = L.geoJSON(spans, {
      pane: 'fibre', style: spanStyle,
      onEachFeature: (f, l) => l.bindPopup(T('map.span.popup', {
        role: `<b>${esc(f.properties.role)}`,
        ring: (f.properties.ring ? ' ring ' + f.properties.ring : '') + '</b>',
        length: km(f.properties.length_m), cores: f.properties.cores,
        method: esc(f.properties.install_method), phase: f.properties.phase ?? '–',
        cost: rupiah(f.properties.cost_idr) })),
    });
    fonet.layers.planSites = L.geoJSON(sites, {
      pane: 'points',
      pointToLayer: (f, ll) => {
        const r = f.properties.plan_role;
        return L.circleMarker(ll, {
          pane: 'points', radius: r === 'pop' ? 9 : r === 'hub' ? 6 : 2.5,
          color: r === 'pop' ? '#000' : r === 'hub' ? '#7a0177' : '#2c7fb8',
          fillColor: r === 'pop' ? '#f0b429' : r === 'hub' ? '#f768a1' : '#fff',
          fillOpacity: 1, weight: r === 'access' ? 1 : 2,
        });
      },
      onEachFeature: (f, l) => l.bindPopup(
        `<b>${esc(f.properties.name)}</b><br>${esc(f.properties.code)} — ` +
        `${esc(f.properties.plan_role)}<br>` + T('map.site.popup', {
          hub: esc(f.properties.hub_code || '–'),
          path: f.properties.path_m != null ? km(f.properties.path_m) : '–',
          loss: f.properties.loss_1310_db ?? '–' })),
    });
    showPlanFigures(plan);
  }
}

function showPlanFigures(plan) {
  const s = plan.summary || {};
  const rows = [
    [T('map.fig.plan'), `${plan.name} (#${plan.id})`], [T('map.fig.pop'), s.pop ? s.pop.code : '–'],
    [T('map.fig.villages'), `${s.villages_connected} / ${s.villages_total}`],
    [T('map.fig.offices'), `${s.offices_connected} / ${s.offices_total}`],
    [T('map.fig.rings'), (s.rings || []).length],
    [T('map.fig.two_edge'), T(s.backbone_two_edge_connected ? 'map.yes' : 'map.no')],
    [T('map.fig.route'), km((s.route_km || 0) * 1000)],
    [T('map.fig.cable'), km((s.cable_km || 0) * 1000)],
    [T('map.fig.cost'), rupiah(s.cost_idr || 0)],
    [T('map.fig.max_loss'), `${window.fonetI18n.num(s.max_loss_db ?? 0)} dB`]];
  $('#plan-figures').innerHTML = rows.map(([k, v]) => `<span>${esc(k)}</span><b>${esc(v)}</b>`)
    .join('');
  const rings = (s.rings || []).map((r, i) =>
    `<span><i style="background:${RING_COLORS[(r.ring ?? i) % RING_COLORS.length]}"></i>` +
    `${esc(T('map.legend.ring', { n: r.ring ?? i }))}</span>`).join('');
  $('#plan-legend').innerHTML = rings +
    `<span><i style="background:${ACCESS_COLOR}"></i>${esc(T('map.legend.access'))}</span>` +
    `<span><i style="background:#f768a1"></i>${esc(T('map.legend.hub'))}</span>` +
    `<span><i style="background:#f0b429"></i>${esc(T('map.legend.core_pop'))}</span>`;
}

/* -- least-cost route: click two points ------------------------------------------------ */
const routeTool = { active: false, points: [] };

$('#route-start').addEventListener('click', () => {
  routeTool.active = true;
  routeTool.points = [];
  dropLayer('route');
  fonet.layers.route = L.featureGroup().addTo(fonet.map);
  $('#route-result').textContent = T('map.route.first');
  fonet.map.getContainer().style.cursor = 'crosshair';
});

async function routeClick(ev) {
  if (!routeTool.active) return;
  const p = { lon: Number(ev.latlng.lng.toFixed(6)), lat: Number(ev.latlng.lat.toFixed(6)) };
  routeTool.points.push(p);
  L.circleMarker(ev.latlng, { pane: 'points', radius: 6, color: '#000', fillColor: '#fff',
    fillOpacity: 1 }).addTo(fonet.layers.route);
  if (routeTool.points.length < 2) {
    $('#route-result').textContent = T('map.route.second');
    return;
  }
  routeTool.active = false;
  fonet.map.getContainer().style.cursor = '';
  $('#route-result').textContent = T('map.route.routing');
  try {
    const r = await api('/routes', { method: 'POST',
      body: { from: routeTool.points[0], to: routeTool.points[1] } });
    L.geoJSON(r.geojson, { pane: 'points', renderer: fonet.svg,
      style: { color: '#000', weight: 5, dashArray: '8 6', className: 'route-line' } })
      .addTo(fonet.layers.route);
    const best = r.least_cost;
    $('#route-result').innerHTML = `<div class="figures" id="route-figures">` +
      `<span>${esc(T('map.route.length'))}</span><b id="route-length">${km(best.length_m)}</b>` +
      `<span>${esc(T('map.route.cost'))}</span><b id="route-cost">${rupiah(best.cost_idr)}</b>` +
      `<span>${esc(T('map.route.edges'))}</span><b>${best.edge_ids.length}</b></div>` +
      `<p class="hint">${esc(T('map.route.snapped', { a: r.from.snap_m ?? 0,
                                                      b: r.to.snap_m ?? 0 }))}</p>`;
  } catch (e) {
    $('#route-result').textContent = T('map.route.none', { msg: e.message });
  }
}

/* -- coverage ---------------------------------------------------------------------------- */
async function coverageLayers() {
  if (!fonet.planId) return;
  if (!fonet.layers.coverage) {
    const [villages, table] = await Promise.all([
      api(atZoom(`/plans/${fonet.planId}/villages`)), api(`/plans/${fonet.planId}/coverage`)]);
    fonet.layers.coverage = L.geoJSON(villages, {
      pane: 'areas',
      style: (f) => ({ color: '#555', weight: 0.5, fillOpacity: 0.75,
                       fillColor: COVER_COLORS[f.properties.status] || '#ccc' }),
      onEachFeature: (f, l) => l.bindPopup(
        `<b>${esc(f.properties.name)}</b> (${esc(f.properties.code)})<br>` +
        `${esc(coverLabel(f.properties.status))}; hub ${esc(f.properties.hub_code || '–')}`),
    });
    const cols = [['name', T('map.cov.kecamatan')], ['villages', T('map.cov.villages')],
                  ['villages_built', T('map.cov.built')], ['villages_planned', T('map.cov.planned')],
                  ['villages_not_covered', T('map.cov.not_covered')], ['coverage_pct', '%']];
    $('#coverage-table thead').innerHTML = '<tr>' + cols.map(([, t]) => `<th>${esc(t)}</th>`)
      .join('') + '</tr>';
    // the total row's name is the server's (English): the catalogue's instead
    const total = { ...table.total, name: T('map.cov.total') };
    $('#coverage-table tbody').innerHTML = [...table.kecamatan, total].map((r) =>
      '<tr>' + cols.map(([k]) => `<td>${esc(typeof r[k] === 'number' ? window.fonetI18n.num(r[k]) : r[k] ?? T('map.cov.total'))}</td>`).join('') + '</tr>')
      .join('');
  }
  $('#coverage-legend').innerHTML = Object.entries(COVER_COLORS).map(([k, c]) =>
    `<span><i style="background:${c}"></i>${esc(coverLabel(k))}</span>`).join('');
  const box = $('#export-buttons');
  $('#export-box').hidden = !fonet.config.features.exports;
  box.innerHTML = ['gpkg', 'geojson', 'kml', 'csv', 'png', 'pdf'].map((f) =>
    `<button type="button" data-format="${f}">${f.toUpperCase()}</button>`).join(' ');
}

$('#export-buttons').addEventListener('click', async (ev) => {
  const fmt = ev.target.dataset.format;
  if (!fmt || !fonet.planId) return;
  message(T('map.export.progress', { fmt, state: 'queued', pct: 0 }));
  try {
    // an export is a job: follow it, then download its result
    let job = await api(`/plans/${fonet.planId}/exports/${fmt}`, { method: 'POST' });
    while (job.state === 'queued' || job.state === 'running') {
      message(T('map.export.progress',
        { fmt, state: job.state, pct: Math.round(job.progress * 100) }));
      await new Promise((r) => setTimeout(r, 1000));
      job = await api(job.links.self.replace(API, ''));
    }
    if (job.state !== 'succeeded') throw new Error(job.error || job.state);
    const res = await api(job.links.result.replace(API, ''), { raw: true });
    const name = (res.headers.get('Content-Disposition') || '').match(/filename="?([^";]+)/);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await res.blob());
    a.download = name ? name[1] : `fonet-plan-${fonet.planId}.${fmt}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    message('');
  } catch (e) { message(T('map.export.failed', { msg: e.message })); }
});

/* -- views ------------------------------------------------------------------------------- */
async function showView(view) {
  fonet.view = view;
  fonet.map.getContainer().dataset.view = view;
  document.querySelectorAll('#views button').forEach((b) =>
    b.classList.toggle('active', b.dataset.view === view));
  document.querySelectorAll('.view-panel').forEach((p) => {
    p.hidden = p.id !== `panel-${view}`;
  });
  for (const k of ['spans', 'planSites', 'coverage', 'links', 'route', 'cut', 'otdr', 'nocSites']) {
    if (fonet.layers[k]) fonet.map.removeLayer(fonet.layers[k]);
  }
  message('');
  try {
    if (view === 'plan') {
      await planLayers();
      ['spans', 'planSites', 'route'].forEach((k) => fonet.layers[k]?.addTo(fonet.map));
      $('#route-start').disabled = !can('engineer');
      $('#route-hint').hidden = can('engineer');
    } else if (view === 'coverage') {
      await coverageLayers();
      fonet.layers.coverage?.addTo(fonet.map);
    } else if (view === 'noc') {
      await window.fonetLive.show();
    } else if (view === 'fibre') {
      await window.fonetFibre.show();
    }
  } catch (e) { message(e.message); }
}

fonet.showView = showView;
document.querySelectorAll('#views button').forEach((b) =>
  b.addEventListener('click', () => showView(b.dataset.view)));

/* On a phone the panel folds under the map; the header's button opens and closes it. */
$('#panel-toggle').addEventListener('click', () => {
  document.body.classList.toggle('panel-open');
  setTimeout(() => fonet.map && fonet.map.invalidateSize(), 0);
});

async function start() {
  if (fonet.started) return;
  fonet.started = true;
  try {
    fonet.config = await (await fetch(API + '/config')).json();
    initMap();
    fonet.map.on('click', routeClick);
    await loadBase();
    await loadPlans();
    window.fonetLive.connect();
    const shared = window.fonetShare ? window.fonetShare.parse() : null;
    await showView(shared ? shared.view
      : new URLSearchParams(location.search).get('view') || 'plan');
    if (shared) await window.fonetShare.open(shared);
    if (window.fonetI18n.fallback) {
      message(T('map.lang_fallback', { code: window.fonetI18n.fallback }));
    }
    document.body.dataset.ready = 'true';
  } catch (e) { message(e.message); }
}

(async () => {
  await window.fonetI18n.ready;
  if (fonet.token && await login(fonet.token)) start();
  else showLogin();
})();
