'use strict';
// The dashboard reads what any client of the API reads (docs/api.md): the
// machines and the newest events once, then the event stream, and keeps the
// page up to date from the stream alone, so a hundred open dashboards cost
// pxed one event per event each, never a poll of every machine.
//
// Not shown yet, because the API does not have them: images and the OS found
// in each (/api/v1/images), leases per subnet (/api/v1/leases). TODO: add a
// section for each once its endpoint exists; until then nothing is guessed.

(() => {
  const STAGES = ['dhcp', 'loader', 'config', 'kernel', 'initrd', 'installer', 'done'];
  // The stream names each message by its kind, and EventSource only hands a
  // named message to a listener for that name: every kind pxed has
  // (src/events/kind.cpp; a unit test keeps this list whole).
  const KINDS = [
    'dhcp.offer', 'dhcp.ack', 'dhcp.nak', 'dhcp.proxy_offer', 'dhcp.proxy_ack', 'dhcp.pxe_ack',
    'dhcp.release', 'dhcp.decline', 'dhcp.dropped', 'dhcp.ignored', 'dhcp.refused', 'dhcp.flood',
    'dhcp.foreign_server', 'dhcp.store_failed', 'dhcp.reply_truncated', 'dhcp.send_failed',
    'dhcp.no_foreign_watch', 'dhcp.menu_too_large', 'dhcp.recovered_store',
    'tftp.done', 'tftp.refused', 'tftp.malformed',
    'http.request', 'http.refused', 'http.evicted', 'http.timeout', 'http.error', 'http.accept-failed',
    'iso.added', 'iso.replaced', 'iso.removed', 'iso.rejected', 'iso.dir_lost', 'iso.dir_back',
    'iso.watch_failed',
    'machine.stage', 'machine.done', 'machine.reinstall', 'machine.assign', 'machine.unassign',
    'machines.store_failed',
    'pxed.ready', 'pxed.stop', 'pxed.reload', 'pxed.reload_failed', 'pxed.fatal', 'pxed.file_limit',
    'pxed.sandbox', 'pxed.missing_file', 'pxed.no_config_watch', 'pxed.no_machine_store',
    'pxed.counters',
  ];
  const BOOT_ANSWERS = new Set(['dhcp.offer', 'dhcp.ack', 'dhcp.proxy_offer', 'dhcp.proxy_ack', 'dhcp.pxe_ack']);
  const TFTP_OK = new Set(['ok', 'tsize-probe', 'options-refused']);
  const MAX_EVENTS = 50;
  const WINDOW_S = 60;
  const QUIET_MS = 30000;  // a booting machine silent this long may be stuck: say so
  const HIDDEN_FIELDS = new Set(['id', 'time', 'time_ms', 'level', 'event', 'mac']);

  const machines = new Map();  // mac -> the API's machine row, kept current from events
  const rowOf = new Map();     // mac -> its <tr>
  let recent = [];             // newest first
  const traffic = { tftp: [], http: [] };  // [time_ms, bytes] of the last minute, oldest first
  let skew = null;             // this browser's clock minus pxed's, in ms
  let dirty = false;
  let lastId = 0;              // ids only ascend within one pxed: a smaller one means it restarted

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function serverNow() { return Date.now() - (skew || 0); }

  // A live event left pxed a moment ago: the smallest difference seen is the
  // closest to the clocks' offset (replayed events only look older).
  function noteClock(timeMs) {
    const d = Date.now() - timeMs;
    if (skew === null || d < skew) skew = d;
  }

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
    return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  }

  function rate(bytesPerSecond) {
    const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
    let v = bytesPerSecond;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
    return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour12: false });
  }

  function emptyRow(mac) {
    return { mac, ip: '', arch: '', stage: '', reached_ms: {}, boot_ms: 0, boots: 0,
      last_seen_ms: 0, last_event: '', last_file: '', problem: '' };
  }

  function address(client) {
    const colon = client.lastIndexOf(':');
    return colon > 0 ? client.slice(0, colon) : client;
  }

  // What the API's machine table (src/api/machine_table.cpp) does with an
  // event, done here too so a row moves with the stream and is never polled.
  function applyToMachine(e) {
    if (!e.mac || e.level === 'debug') return false;
    // Another dashboard reading the API must not make a machine look busy.
    if (e.event === 'http.request' && e.route !== undefined) return false;
    let m = machines.get(e.mac);
    if (!m) {
      m = emptyRow(e.mac);
      machines.set(e.mac, m);
    } else if (m.asOf && e.time_ms < m.asOf) {
      return false;  // the row fetched at start already counts it
    }
    m.last_seen_ms = e.time_ms;
    m.last_event = e.event;
    if (e.client) m.ip = address(String(e.client));
    if (BOOT_ANSWERS.has(e.event)) {
      if (e.ip) m.ip = e.ip;
      if (e.arch) m.arch = e.arch;
    } else if (e.event === 'machine.stage') {
      const i = STAGES.indexOf(e.stage);
      if (i < 0) return true;
      // A firmware's DHCP after its loader is a new boot.
      if (i === 0 && (m.stage !== 'dhcp' || m.boots === 0)) {
        m.reached_ms = {};
        m.problem = '';
        m.boots += 1;
        m.stage = 'dhcp';
      } else if (!m.stage || i > STAGES.indexOf(m.stage)) {
        m.stage = e.stage;
      }
      if (!m.reached_ms[e.stage]) m.reached_ms[e.stage] = e.time_ms;
      const start = m.reached_ms.dhcp || 0;
      const latest = m.reached_ms[m.stage] || 0;
      m.boot_ms = start && latest >= start ? latest - start : 0;
    } else if (e.event === 'tftp.done') {
      m.last_file = e.file || '';
      if (!TFTP_OK.has(e.result)) m.problem = `tftp ${m.last_file}: ${e.result}`;
    } else if (e.event === 'http.request') {
      m.last_file = e.path || '';
      if (e.status >= 400) m.problem = `http ${m.last_file}: ${e.status}`;
    }
    return true;
  }

  function applyToTraffic(e) {
    if (typeof e.bytes !== 'number' || e.bytes <= 0) return;
    if (e.event === 'tftp.done') traffic.tftp.push([e.time_ms, e.bytes]);
    // The API's and this page's own requests are not boot traffic.
    else if (e.event === 'http.request' && e.route === undefined) traffic.http.push([e.time_ms, e.bytes]);
  }

  function applyToEvents(e) {
    if (e.level === 'debug') return;
    if (e.event === 'http.request' && e.route !== undefined) return;
    recent.unshift(e);
    if (recent.length > MAX_EVENTS) recent.length = MAX_EVENTS;
  }

  function apply(e) {
    lastId = Math.max(lastId, e.id || 0);
    applyToMachine(e);
    applyToTraffic(e);
    applyToEvents(e);
    dirty = true;
  }

  // ---- drawing ----

  function cell(row, label, className, content) {
    const td = el('td', className);
    td.dataset.label = label;
    const inner = el('div');
    if (typeof content === 'string') inner.textContent = content;
    else if (content) inner.append(content);
    td.append(inner);
    row.append(td);
    return td;
  }

  function stageBar(m) {
    const wrap = el('div', 'stage');
    const bar = el('div', 'stages');
    const at = STAGES.indexOf(m.stage);
    STAGES.forEach((s, i) => {
      const seg = el('span', i < at ? 'reached' : i === at ? 'current' : '');
      seg.title = m.reached_ms[s] ? `${s} at ${clock(m.reached_ms[s])}` : s;
      bar.append(seg);
    });
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', String(STAGES.length - 1));
    bar.setAttribute('aria-valuenow', String(Math.max(at, 0)));
    wrap.append(bar, el('span', 'stage-name', m.stage || '—'));
    return wrap;
  }

  function bootText(m) {
    const start = m.reached_ms.dhcp;
    if (!start) return '';
    if (m.stage === 'done') return `done in ${duration(m.boot_ms)}`;
    let text = duration(serverNow() - start);
    const quiet = serverNow() - m.last_seen_ms;
    if (quiet > QUIET_MS) text += ` · quiet ${duration(quiet)}`;
    return text;
  }

  function drawRow(m, tr) {
    tr.replaceChildren();
    tr.dataset.mac = m.mac;
    tr.dataset.stage = m.stage;
    tr.dataset.reached = STAGES.filter((s) => m.reached_ms[s]).join(' ');
    tr.className = [m.problem ? 'problem' : '', m.stage === 'done' ? 'done' : ''].join(' ').trim();
    cell(tr, 'MAC', 'mac', m.mac);
    cell(tr, 'IP', 'ip', m.ip);
    cell(tr, 'Arch', 'arch', m.arch);
    cell(tr, 'Stage', 'stage-cell', stageBar(m));
    const boot = cell(tr, 'Boot', 'boot', bootText(m));
    if (m.boots > 1) boot.title = `boot ${m.boots} since pxed started`;
    const file = cell(tr, 'Last file', 'file', m.last_file);
    file.title = m.last_file;
    cell(tr, 'Problem', 'problem', m.problem);
  }

  function drawMachines() {
    const body = $('machines').tBodies[0];
    // A steady order (by MAC): rows that jump around cannot be read at a glance.
    const macs = [...machines.keys()].sort();
    macs.forEach((mac, i) => {
      let tr = rowOf.get(mac);
      if (!tr) {
        tr = el('tr', '');
        rowOf.set(mac, tr);
        tr.classList.add('fresh');
      }
      const m = machines.get(mac);
      const stamp = `${m.last_seen_ms}|${m.stage}|${m.problem}|${m.ip}|${m.arch}|${m.last_file}`;
      if (tr.dataset.stamp !== stamp) {
        drawRow(m, tr);
        tr.dataset.stamp = stamp;
      }
      if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null);
    });
    $('no-machines').hidden = machines.size > 0;
    $('machines').hidden = machines.size === 0;
    const booting = [...machines.values()].filter((m) => m.stage && m.stage !== 'done').length;
    const problems = [...machines.values()].filter((m) => m.problem).length;
    $('machine-count').textContent = `${machines.size}`;
    $('summary').textContent =
      `${machines.size} machine${machines.size === 1 ? '' : 's'} · ${booting} booting · ${problems} with a problem`;
  }

  function tickBootTimes() {
    for (const [mac, tr] of rowOf) {
      const td = tr.querySelector('td.boot > div');
      if (td) td.textContent = bootText(machines.get(mac));
    }
  }

  function drawThroughput() {
    const now = serverNow();
    const from = now - WINDOW_S * 1000;
    const box = $('throughput');
    const grid = el('div', 'protocols');
    for (const [name, list] of Object.entries(traffic)) {
      while (list.length && list[0][0] < from) list.shift();
      const buckets = new Array(WINDOW_S).fill(0);
      let total = 0;
      for (const [t, b] of list) {
        total += b;
        const i = Math.min(WINDOW_S - 1, Math.max(0, Math.floor((t - from) / 1000)));
        buckets[i] += b;
      }
      const card = el('div', 'protocol');
      card.dataset.protocol = name;
      card.append(el('div', 'label', name.toUpperCase()), el('div', 'rate', rate(total / WINDOW_S)),
        el('div', 'label', `${list.length} transfer${list.length === 1 ? '' : 's'}`));
      const spark = el('div', 'spark');
      const peak = Math.max(1, ...buckets);
      for (const b of buckets) {
        const bar = el('span');
        bar.style.height = `${(100 * b) / peak}%`;  // CSSOM, which the page's CSP allows
        spark.append(bar);
      }
      card.append(spark);
      grid.append(card);
    }
    box.replaceChildren(grid);
  }

  function describe(e) {
    const parts = [];
    for (const [k, v] of Object.entries(e)) {
      if (HIDDEN_FIELDS.has(k) || v === '' || v === null) continue;
      parts.push(`${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`);
    }
    return parts.join(' ');
  }

  function drawEvents() {
    const list = $('events');
    list.replaceChildren(...recent.map((e) => {
      const li = el('li', e.level || 'info');
      li.dataset.id = e.id;
      li.append(el('span', 'time', clock(e.time_ms)), el('span', 'kind', e.event));
      const fields = el('span', 'fields');
      if (e.mac) fields.append(el('code', '', e.mac), ' ');
      fields.append(describe(e));
      li.append(fields);
      return li;
    }));
    $('no-events').hidden = recent.length > 0;
  }

  function draw() {
    if (dirty) {
      dirty = false;
      drawMachines();
      drawEvents();
    }
  }

  // ---- data ----

  async function getJson(path) {
    const r = await fetch(path, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${path}: ${r.status}`);
    const date = Date.parse(r.headers.get('Date') || '');
    if (!Number.isNaN(date)) noteClock(date);
    return r.json();
  }

  function setConnection(state, text) {
    const c = $('connection');
    c.dataset.state = state;
    c.textContent = text;
  }

  function listen(after) {
    // EventSource resumes by itself with Last-Event-ID after a drop; `after`
    // only joins the first connection to the events fetched just before.
    const source = new EventSource(`/api/v1/events/stream${after ? `?after=${after}` : ''}`);
    source.onopen = () => setConnection('live', 'live');
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setConnection('lost', 'disconnected');
      else setConnection('connecting', 'reconnecting');
    };
    const onEvent = (message) => {
      let e;
      try { e = JSON.parse(message.data); } catch { return; }
      if (e.id < lastId) {
        // A new pxed: its machines and ids start over, and so does the page.
        source.close();
        window.location.reload();
        return;
      }
      noteClock(e.time_ms);
      apply(e);
      requestAnimationFrame(draw);
    };
    for (const kind of KINDS) source.addEventListener(kind, onEvent);
  }

  async function start() {
    let after = 0;
    try {
      // Machines first, then events: an event in between is both in a row and
      // in the page of events, and the row's time (asOf) skips it.
      const list = await getJson('/api/v1/machines');
      for (const m of list.machines) {
        m.asOf = m.last_seen_ms;
        machines.set(m.mac, m);
      }
      const page = await getJson('/api/v1/events?tail=500');
      for (const e of page.events) apply(e);
      after = page.next;
    } catch (err) {
      setConnection('lost', `cannot read the API (${err.message})`);
    }
    dirty = true;
    draw();
    drawThroughput();
    listen(after);
    setInterval(() => { tickBootTimes(); drawThroughput(); }, 1000);
  }

  start();
})();
