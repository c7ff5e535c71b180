'use strict';
// The dashboard reads what any client of the API reads (docs/api.md): the
// machines and the newest events once, then the event stream, and keeps the
// page up to date from the stream alone, so a hundred open dashboards cost
// pxed one event per event each, never a poll of every machine.
//
// Images and leases are not events but state: each is read again when an
// event says it changed (iso.*, a lease bound or given back), and now and
// then besides (a lease expires without an event), a few hundred bytes each.

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
    'iso.added', 'iso.replaced', 'iso.identified', 'iso.removed', 'iso.rejected', 'iso.dir_lost',
    'iso.dir_back', 'iso.watch_failed', 'iso.program',
    'machine.stage', 'machine.done', 'machine.reinstall', 'machine.assign', 'machine.unassign',
    'machine.hook', 'machine.hook_failed',
    'machines.store_failed', 'events.store_failed', 'answer.served', 'answer.refused', 'answer.failed',
    'pxed.ready', 'pxed.stop', 'pxed.reload', 'pxed.reload_failed', 'pxed.fatal', 'pxed.file_limit',
    'pxed.sandbox', 'pxed.missing_file', 'pxed.no_config_watch', 'pxed.no_machine_store', 'pxed.no_event_history',
    'pxed.counters',
  ];
  // One per file a machine fetches: thousands a second from a busy installer.
  // The page leaves them to the server (rows, /api/v1/traffic) and follows the rest,
  // so a viewer costs pxed the same on a quiet server and a busy one.
  const BULK = new Set(['http.request', 'tftp.done']);
  const FOLLOWED = `level=info&kind=${KINDS.filter((k) => !BULK.has(k)).join(',')}`;
  const MAX_EVENTS = 50;
  const WINDOW_S = 60;
  const QUIET_MS = 30000;  // a booting machine silent this long may be stuck: say so
  const HIDDEN_FIELDS = new Set(['id', 'time', 'time_ms', 'level', 'event', 'mac']);
  const IMAGE_EVENTS = new Set(['iso.added', 'iso.replaced', 'iso.identified', 'iso.removed', 'iso.dir_lost',
    'iso.dir_back', 'iso.program']);
  const LEASE_EVENTS = new Set(['dhcp.ack', 'dhcp.release', 'dhcp.decline']);
  const IMAGES_EVERY_MS = 60000;
  const LEASES_EVERY_MS = 10000;  // leases expire without an event
  const MACHINES_EVERY_MS = 2000;  // rows move with fetches the stream leaves out
  const TRAFFIC_EVERY_MS = 2000;

  const machines = new Map();  // mac -> the API's machine row, as /api/v1/machines has it
  const rowOf = new Map();     // mac -> its <tr>
  let recent = [];             // newest first
  let traffic = null;          // /api/v1/traffic: the last minute, a bucket a second
  let machinesAsOf = 0;        // now_ms of the last /api/v1/machines: changed_since for the next
  let skew = null;             // this browser's clock minus pxed's, in ms
  let dirty = false;
  let lastId = 0;              // ids only ascend, across restarts too, unless a pxed lost its history

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

  // The stream and the first page bring only what FOLLOWED asks for.
  function applyToEvents(e) {
    recent.unshift(e);
    if (recent.length > MAX_EVENTS) recent.length = MAX_EVENTS;
  }

  function apply(e) {
    lastId = Math.max(lastId, e.id || 0);
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
    wrap.append(bar, el('span', 'stage-name', m.seen === false ? 'not seen' : m.stage || '—'));
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
    tr.className = [m.problem ? 'problem' : '', m.stage === 'done' ? 'done' : '',
      m.seen === false ? 'unseen' : ''].join(' ').trim();
    // The inventory's name first when it has one: "web-3" is what people look for.
    const id = document.createDocumentFragment();
    if (m.name) id.append(el('span', 'name', m.name), ' ');
    id.append(m.mac);
    cell(tr, 'MAC', 'mac', id);
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
      const stamp = `${m.last_seen_ms}|${m.stage}|${m.problem}|${m.ip}|${m.arch}|${m.last_file}|${m.name}|${m.seen}`;
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
    const unseen = [...machines.values()].filter((m) => m.seen === false).length;
    $('machine-count').textContent = `${machines.size}`;
    $('summary').textContent =
      `${machines.size} machine${machines.size === 1 ? '' : 's'} · ${booting} booting · ${problems} with a problem` +
      (unseen ? ` · ${unseen} not seen yet` : '');
  }

  function tickBootTimes() {
    for (const [mac, tr] of rowOf) {
      const td = tr.querySelector('td.boot > div');
      if (td) td.textContent = bootText(machines.get(mac));
    }
  }

  function drawThroughput() {
    if (!traffic) return;
    const box = $('throughput');
    const grid = el('div', 'protocols');
    for (const name of ['tftp', 'http']) {
      const buckets = traffic[name].bytes;
      const total = buckets.reduce((a, b) => a + b, 0);
      const count = traffic[name].transfers.reduce((a, b) => a + b, 0);
      const card = el('div', 'protocol');
      card.dataset.protocol = name;
      card.append(el('div', 'label', name.toUpperCase()), el('div', 'rate', rate(total / traffic.seconds)),
        el('div', 'label', `${count} transfer${count === 1 ? '' : 's'}`));
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

  function osText(image) {
    if (image.state === 'pending') return 'identifying…';
    return image.os ? image.os.name : 'unknown';
  }

  function drawImages(images) {
    const body = $('images').tBodies[0];
    body.replaceChildren(...images.map((image) => {
      const tr = el('tr', image.os ? '' : 'unknown');
      tr.dataset.url = image.url;
      tr.dataset.os = image.os ? image.os.short_id : image.state;
      cell(tr, 'Name', 'name', image.name).title = image.file;
      const os = cell(tr, 'OS', 'os', osText(image));
      os.title = image.os ? `${image.os.id} (${image.os.arch})` : image.reason;
      cell(tr, 'Version', 'version', image.os ? image.os.version : '');
      cell(tr, 'Kind', 'kind', image.os ? image.os.kind : '');
      const link = el('a', '', image.url);
      link.href = image.url;
      cell(tr, 'URL', 'url', link);
      return tr;
    }));
    const known = images.filter((i) => i.os).length;
    $('image-count').textContent = images.length ? `${images.length} · ${known} identified` : '';
    $('images').hidden = images.length === 0;
    $('no-images').hidden = images.length > 0;
  }

  function drawLeases(answer) {
    // No subnet: pxed is no DHCP server here (proxy mode or DHCP off).
    $('leases-section').hidden = answer.subnets.length === 0;
    $('subnets').replaceChildren(...answer.subnets.map((s) => {
      const box = el('div', 'subnet');
      box.dataset.network = s.network;
      const label = el('div', 'label');
      label.append(el('span', 'network', s.network), el('span', 'use', `${s.used} used · ${s.free} free`));
      const bar = el('div', 'bar');
      const used = el('span');
      used.style.width = `${s.size ? (100 * s.used) / s.size : 0}%`;
      bar.append(used);
      bar.title = `${s.range[0]} – ${s.range[1]}, ${s.reservations} reserved`;
      box.append(label, bar);
      return box;
    }));
    $('leases').tBodies[0].replaceChildren(...answer.leases.map((l) => {
      const tr = el('tr', '');
      tr.dataset.mac = l.mac;
      cell(tr, 'IP', 'ip', l.ip);
      cell(tr, 'MAC', 'mac', l.mac);
      cell(tr, 'Hostname', 'hostname', l.hostname);
      cell(tr, 'Expires', 'expires', clock(l.expires_ms)).title = l.expires;
      return tr;
    }));
    $('lease-count').textContent = `${answer.leases.length}`;
    $('leases').hidden = answer.leases.length === 0;
    $('no-leases').hidden = answer.leases.length > 0;
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

  // One read at a time; a change announced during it reads again after.
  function refresher(path, drawIt) {
    let running = false;
    let again = false;
    const refresh = async () => {
      if (running) { again = true; return; }
      running = true;
      const where = typeof path === 'function' ? path() : path;
      try {
        drawIt(await getJson(where));
      } catch (err) {
        console.warn(`${where}: ${err.message}`);
      } finally {
        running = false;
        if (again) { again = false; refresh(); }
      }
    };
    return refresh;
  }
  const refreshImages = refresher('/api/v1/images', (answer) => drawImages(answer.images));
  const refreshLeases = refresher('/api/v1/leases', drawLeases);
  // Only the rows heard from since the last read: what changed, not every machine.
  const refreshMachines = refresher(
    () => `/api/v1/machines${machinesAsOf ? `?changed_since=${machinesAsOf}` : ''}`,
    (answer) => {
      for (const m of answer.machines) machines.set(m.mac, m);
      machinesAsOf = answer.now_ms;
      noteClock(answer.now_ms);
      if (answer.machines.length) {
        dirty = true;
        requestAnimationFrame(draw);
      }
    });
  const refreshTraffic = refresher('/api/v1/traffic', (answer) => {
    traffic = answer;
    drawThroughput();
  });
  // A stage shows the moment it is reached, before the row is read again: an
  // iPXE boot passes loader, config and kernel within a quarter second.
  function showStage(e) {
    if (e.event !== 'machine.stage' || !e.mac || !STAGES.includes(e.stage)) return;
    let m = machines.get(e.mac);
    if (!m) {
      // Its first stage: a row now, the rest of it when the row is read.
      m = { mac: e.mac, name: '', ip: '', arch: '', stage: '', reached_ms: {}, boot_ms: 0, boots: 1,
        last_seen_ms: e.time_ms, last_event: e.event, last_file: '', problem: '' };
      machines.set(e.mac, m);
    }
    m.seen = true;
    if (e.stage === 'dhcp') m.reached_ms = {};  // a new boot; the row read next says the rest
    m.stage = e.stage;
    m.reached_ms = { ...m.reached_ms, [e.stage]: m.reached_ms[e.stage] || e.time_ms };
    dirty = true;
  }

  // A stream event about a machine reads its row soon; a burst of them, once.
  let machinesSoon = null;
  function refreshMachinesSoon() {
    if (machinesSoon) return;
    machinesSoon = setTimeout(() => { machinesSoon = null; refreshMachines(); }, 250);
  }

  function setConnection(state, text) {
    const c = $('connection');
    c.dataset.state = state;
    c.textContent = text;
  }

  // A pxed without the old one's history: its machines and ids start over,
  // and so does the page.
  function startOver(source) {
    source.close();
    window.location.reload();
  }

  function listen(after) {
    // EventSource resumes by itself with Last-Event-ID after a drop; `after`
    // only joins the first connection to the events fetched just before.
    const source = new EventSource(`/api/v1/events/stream?${FOLLOWED}${after ? `&after=${after}` : ''}`);
    let opened = false;
    source.onopen = () => {
      setConnection('live', 'live');
      // Back after a drop: a pxed that lost its history numbers from 1 again,
      // and the page may follow none of its first events. Its newest says so.
      if (opened) {
        getJson('/api/v1/events?tail=1').then((page) => {
          const newest = page.events.length ? page.events[0].id : 0;
          if (newest < lastId) startOver(source);
        }).catch(() => {});
      }
      opened = true;
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setConnection('lost', 'disconnected');
      else setConnection('connecting', 'reconnecting');
    };
    const onEvent = (message) => {
      let e;
      try { e = JSON.parse(message.data); } catch { return; }
      if (e.id < lastId) {
        startOver(source);
        return;
      }
      noteClock(e.time_ms);
      apply(e);
      showStage(e);
      if (e.mac) refreshMachinesSoon();
      if (IMAGE_EVENTS.has(e.event)) refreshImages();
      if (LEASE_EVENTS.has(e.event)) refreshLeases();
      requestAnimationFrame(draw);
    };
    for (const kind of KINDS) source.addEventListener(kind, onEvent);
  }

  async function start() {
    let after = 0;
    try {
      const page = await getJson(`/api/v1/events?tail=500&${FOLLOWED}`);
      for (const e of page.events) apply(e);
      after = page.next;
    } catch (err) {
      setConnection('lost', `cannot read the API (${err.message})`);
    }
    await Promise.all([refreshMachines(), refreshTraffic(), refreshImages(), refreshLeases()]);
    dirty = true;
    draw();
    listen(after);
    setInterval(tickBootTimes, 1000);
    setInterval(refreshMachines, MACHINES_EVERY_MS);
    setInterval(refreshTraffic, TRAFFIC_EVERY_MS);
    setInterval(refreshImages, IMAGES_EVERY_MS);
    setInterval(refreshLeases, LEASES_EVERY_MS);
  }

  start();
})();
