/* fonet web map, NOC view: links by live state, alarms, impact, the located cut, and the
   Server-Sent Events stream that keeps them current. */
'use strict';

(() => {
  const fonet = window.fonet;
  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const live = { byId: new Map(), selected: null, cursor: null, loaded: false };
  window.fonetLive = live;

  function linkStyle(p) {
    const monitored = p.monitored || p.state !== 'unknown';
    return { color: STATE_COLORS[p.state] || STATE_COLORS.unknown,
             ...window.fonetNoc.linkShape(p, monitored), opacity: monitored ? 0.95 : 0.6 };
  }

  function setPathState(layer, state) {
    const el = layer.getElement && layer.getElement();
    if (!el) return;
    ['up', 'down', 'degraded', 'unknown'].forEach((s) => el.classList.remove(`link-${s}`));
    el.classList.add(`link-${state}`);
    el.setAttribute('data-link', layer.feature.properties.name);
  }

  async function loadLinks() {
    const fc = await fonet.api('/links/geojson');
    live.byId.clear();
    // links with a state or an interface are drawn last, on top
    fc.features.sort((a, b) => Number(a.properties.monitored || a.properties.state !== 'unknown')
      - Number(b.properties.monitored || b.properties.state !== 'unknown'));
    fonet.layers.links = L.geoJSON(fc, {
      pane: 'live', renderer: fonet.svg,
      style: (f) => ({ ...linkStyle(f.properties), className: `link link-${f.properties.state}` }),
      onEachFeature: (f, layer) => {
        live.byId.set(f.properties.id, layer);
        layer.on('add', () => setPathState(layer, f.properties.state));
        layer.on('click', (ev) => { L.DomEvent.stopPropagation(ev); select(layer); });
        layer.bindTooltip(() => `${esc(f.properties.name)}: ${esc(T(`map.state.${f.properties.state}`))}`,
          { sticky: true });
      },
    });
    live.loaded = true;
  }

  /* The reasons of a link's state in the page's language (keyed by the server). */
  function reasonsText(p) {
    const keyed = p.reason_keys;
    if (!keyed || keyed.length !== (p.reasons || []).length) return (p.reasons || []).join('; ');
    return keyed.map(window.fonetI18n.keyed).join('; ');
  }

  function renderLinks() {
    const rows = [...live.byId.values()].map((l) => l.feature.properties)
      .filter((p) => p.monitored || p.state !== 'unknown');
    const counts = { up: 0, degraded: 0, down: 0, unknown: 0 };
    rows.forEach((p) => { counts[p.state] = (counts[p.state] || 0) + 1; });
    $('#noc-counts').innerHTML = Object.entries(counts).map(([k, n]) =>
      `<span>${esc(T(`map.state.${k}`))}</span><b id="count-${k}">${n}</b>`).join('');
    $('#noc-legend').innerHTML = window.fonetNoc.legend(STATE_COLORS);
    rows.sort((a, b) => ['down', 'degraded', 'unknown', 'up'].indexOf(a.state)
      - ['down', 'degraded', 'unknown', 'up'].indexOf(b.state) || a.name.localeCompare(b.name));
    $('#link-list').innerHTML = rows.map((p) =>
      `<li data-link="${esc(p.name)}" data-state="${p.state}"><span class="state ` +
      `state-${p.state}">${esc(T(`map.state.${p.state}`))}</span>${esc(p.name)}<br><small>` +
      `${esc(reasonsText(p))}</small></li>`).join('') ||
      `<li>${esc(T('map.links.none'))}</li>`;
  }

  function applyChange(ch) {
    const layer = live.byId.get(ch.link_id);
    if (!layer) { live.loaded = false; return; }
    const p = layer.feature.properties;
    Object.assign(p, { state: ch.to, reasons: ch.reasons, reason_keys: ch.reason_keys,
      since: ch.at });
    layer.setStyle(linkStyle(p));
    setPathState(layer, ch.to);
    if (ch.to !== 'unknown') layer.bringToFront();
    renderLinks();
  }

  async function renderAlarms() {
    if (!fonet.config.features.alarms) { $('#alarm-box').hidden = true; return; }
    const page = await fonet.api('/alarms?open=true&limit=200');
    $('#alarm-list').innerHTML = page.items.map((a) =>
      `<li data-alarm="${a.id}"><span class="sev-${esc(a.severity)}">${esc(a.severity)}</span> ` +
      `<span class="msg">${esc(a.message_key ? window.fonetI18n.keyed({ key: a.message_key,
        params: a.params, text: a.message }) : a.message)}</span>${window.fonetNoc.alarmPlace(a)}<br><small>` +
      `${esc(window.fonetI18n.date(a.raised_at))}` +
      `${a.children_count ? ', ' + esc(T('map.alarm.grouped', { n: a.children_count })) : ''}` +
      `${a.acknowledged_by ? ', ' + esc(T('map.alarm.ack_by', { who: a.acknowledged_by })) : ''}` +
      '</small> ' +
      (a.acknowledged_at || !fonet.can('engineer') ? '' :
        `<button type="button" data-ack="${a.id}">${esc(T('map.alarm.ack'))}</button>`) +
      '</li>').join('') ||
      `<li>${esc(T('map.alarm.none'))}</li>`;
  }

  $('#alarm-list').addEventListener('click', async (ev) => {
    const id = ev.target.dataset.ack;
    if (!id) return;
    const comment = prompt(T('map.alarm.ack_prompt'), T('map.alarm.ack_default'));
    if (!comment) return;
    try {
      await fonet.api(`/alarms/${id}/ack`, { method: 'POST', body: { comment } });
      await renderAlarms();
    } catch (e) { fonet.message(e.message); }
  });

  function select(layer) {
    live.selected = layer;
    const p = layer.feature.properties;
    if (window.fonetField) window.fonetField.selectLink(p.name);
    if (window.fonetHistory) window.fonetHistory.show(p);
    if (!fonet.config.features.impact) { layer.openTooltip(); return; }
    $('#impact-result').innerHTML = `<b>${esc(p.name)}</b> (${esc(T(`map.state.${p.state}`))}) ` +
      `<button type="button" id="impact-go">${esc(T('map.impact.ask'))}</button>`;
    $('#impact-go').addEventListener('click', async () => {
      $('#impact-result').insertAdjacentHTML('beforeend', `<p>${esc(T('map.impact.working'))}</p>`);
      try {
        const r = await fonet.api('/impact/what-if', { method: 'POST',
          body: { plan_id: p.plan_id, links: [p.name] } });
        const cut = r.cut_off || {};
        const nr = r.without_redundancy || {};
        $('#impact-result').innerHTML = `<b>${esc(p.name)}</b> ${esc(T('map.impact.fails'))}` +
          `<div class="figures"><span>${esc(T('map.impact.cut_off'))}</span>` +
          `<b id="impact-cut">${cut.count ?? 0}</b>` +
          `<span>${esc(T('map.impact.no_redundancy'))}</span><b>${nr.count ?? 0}</b></div>` +
          '<ul class="list">' + (cut.sites || []).slice(0, 50).map((s) =>
            `<li>${esc(s.code)} ${esc(s.name)}</li>`).join('') + '</ul>';
      } catch (e) { $('#impact-result').textContent = e.message; }
    });
  }

  async function renderCut() {
    if (!fonet.config.features.impact || !fonet.planId) { return; }
    const r = await fonet.api(`/noc/cut?plan_id=${fonet.planId}`);
    if (fonet.layers.cut) fonet.map.removeLayer(fonet.layers.cut);
    delete fonet.layers.cut;
    live.cut = r;
    if (!r.down_links.length) { $('#cut-result').textContent = T('map.cut.none'); return; }
    const best = (r.hypotheses[0] || {}).places || [];
    $('#cut-result').innerHTML = esc(T('map.cut.summary', { n: r.down_links.length,
      places: best.map((c) => T('map.cut.place', { kind: T(`term.${c.kind}`), spans: c.spans.length,
        km: window.fonetI18n.num(c.length_m / 1000, 2) })).join('; ') ||
        T('map.cut.unexplained') }));
    if (r.geojson) {
      // under the links (its own lower pane), so that the down links on it still show
      fonet.layers.cut = L.geoJSON(r.geojson, { pane: 'cut',
        renderer: window.fonetNoc.cutRenderer(), style: window.fonetNoc.cutStyle });
      if (fonet.view === 'noc') fonet.layers.cut.addTo(fonet.map);
    }
  }

  live.show = async () => {
    if (!live.loaded) await loadLinks();
    fonet.layers.links.addTo(fonet.map);
    fonet.layers.links.eachLayer((l) => setPathState(l, l.feature.properties.state));
    renderLinks();
    $('#impact-box').hidden = !fonet.config.features.impact;
    const sites = await window.fonetNoc.siteLayer();
    if (sites && fonet.view === 'noc') sites.addTo(fonet.map);
    await Promise.all([renderAlarms(), renderCut(),
      window.fonetField ? window.fonetField.show() : null]);
  };

  /* -- Server-Sent Events over fetch (so the token goes in a header, not the URL) ------ */
  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      if (fonet.view !== 'noc') return;
      try { await Promise.all([renderAlarms(), renderCut()]); } catch (e) { /* next time */ }
    }, 500);
  }

  function handle(event, data) {
    if (event === 'hello') { live.cursor = data.cursor; return; }
    if (event === 'link_state') {
      if (!live.loaded) return;
      applyChange(data);
      refreshSoon();
    } else if (event === 'alarm') {
      refreshSoon();
    }
  }

  live.connect = async function connect() {
    const badge = $('#live');
    for (;;) {
      try {
        const headers = { Authorization: `Bearer ${fonet.token}`, Accept: 'text/event-stream' };
        if (live.cursor) headers['Last-Event-ID'] = live.cursor;
        const res = await fetch('/api/v1/events', { headers });
        if (!res.ok) throw new Error(`events: HTTP ${res.status}`);
        badge.className = 'live on';
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let event = 'message'; let data = ''; let id = null;
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data += line.slice(5).trim();
              else if (line.startsWith('id:')) id = line.slice(3).trim();
            }
            if (id) live.cursor = id;
            if (data) { try { handle(event, JSON.parse(data)); } catch (e) { /* skip */ } }
          }
        }
      } catch (e) { /* reconnect below */ }
      badge.className = 'live off';
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
})();
