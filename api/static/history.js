/* fonet web map: history of a link's interface (traffic and optical receive power) over the
   last 24 hours and 7 days, drawn with uPlot from GET /interfaces/{id}/series. */
'use strict';

(() => {
  const fonet = window.fonet;
  const $ = (sel) => document.querySelector(sel);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const RANGES = [['24h', 24 * 3600], ['7d', 7 * 24 * 3600]];
  const history = { charts: [], link: null, data: {} };
  window.fonetHistory = history;

  function bps(v) {
    if (v == null) return '–';
    const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
    let i = 0;
    while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
    return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
  }

  async function series(ifaceId, metric, seconds) {
    const to = new Date();
    const from = new Date(to.getTime() - seconds * 1000);
    const q = new URLSearchParams({ metric, from: from.toISOString(), to: to.toISOString() });
    return fonet.api(`/interfaces/${ifaceId}/series?${q}`);
  }

  function destroy() {
    history.charts.forEach((c) => c.destroy());
    history.charts = [];
  }

  function chart(el, title, t, lines, fmt) {
    const width = Math.max(280, el.clientWidth || 360);
    const opts = {
      title, width, height: 150, cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5,
        spanGaps: false, value: (u, v) => fmt(v) }))],
      axes: [{}, { values: (u, vals) => vals.map(fmt), size: 70 }],
    };
    const u = new uPlot(opts, [t, ...lines.map((l) => l.values)], el);
    history.charts.push(u);
    return u;
  }

  /* Show the traffic and Rx power charts of a link (its A end, else its Z end). */
  history.show = async (p) => {
    const box = $('#history');
    if (!box) return;
    destroy();
    history.link = p.name;
    const ifaceId = p.a_interface_id || p.z_interface_id;
    box.hidden = false;
    if (!ifaceId) {
      box.innerHTML = `<h3>${esc(T('map.hist.title', { name: p.name }))}</h3>` +
        `<p class="hint">${esc(T('map.hist.no_iface'))}</p>`;
      box.dataset.link = p.name;
      return;
    }
    box.innerHTML = `<h3>${esc(T('map.hist.title', { name: p.name }))}</h3>` +
      `<p class="hint">${esc(p.a_interface || p.z_interface || '')}</p>` +
      RANGES.map(([k]) => `<div class="history-range" data-range="${k}">` +
        `<div class="chart traffic" id="chart-traffic-${k}"></div>` +
        `<div class="chart rx" id="chart-rx-${k}"></div></div>`).join('');
    box.dataset.link = p.name;
    try {
      for (const [k, seconds] of RANGES) {
        const [inb, outb, rx] = await Promise.all([
          series(ifaceId, 'in_bps', seconds), series(ifaceId, 'out_bps', seconds),
          series(ifaceId, 'rx_dbm', seconds)]);
        if (history.link !== p.name) return; // another link was clicked meanwhile
        history.data[k] = { in_bps: inb, out_bps: outb, rx_dbm: rx };
        chart($(`#chart-traffic-${k}`), T('map.hist.traffic', { range: k }), inb.t,
          [{ label: T('map.hist.in'), color: '#2c7fb8', values: inb.value },
           { label: T('map.hist.out'), color: '#f03b20', values: outb.value }], bps);
        chart($(`#chart-rx-${k}`), T('map.hist.rx', { range: k }), rx.t,
          [{ label: 'Rx avg', color: '#1a9641', values: rx.value },
           { label: 'Rx min', color: '#d7191c', values: rx.peak }],
          (v) => (v == null ? '–' : `${v.toFixed(1)} dBm`));
      }
      box.dataset.ready = 'true';
    } catch (e) {
      box.insertAdjacentHTML('beforeend', `<p class="hint">${esc(T('map.hist.none', { msg: e.message }))}</p>`);
    }
  };

  history.hide = () => {
    destroy();
    const box = $('#history');
    if (box) { box.hidden = true; box.innerHTML = ''; delete box.dataset.ready; }
  };
})();
