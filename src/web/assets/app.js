// labo web: the index (every lab, a card each) and a lab's page (its
// picture, nodes, faults, check, tutorial steps, events), both kept live
// by the server's event streams (EventSource): nothing here polls.
// Text goes into the page as text (textContent), never as HTML; the
// picture is the server's SVG (Graphviz's), parsed as XML.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // The actions' token: given once in the address's fragment (never sent
  // to the server in a URL), kept for this tab only.
  let token = sessionStorage.getItem('labo-token') || '';
  const m = location.hash.match(/token=([0-9a-f]+)/);
  if (m) {
    token = m[1];
    sessionStorage.setItem('labo-token', token);
    history.replaceState(null, '', location.pathname);
  }
  let actions = false;

  function setConn(state, text) {
    const c = $('conn');
    if (!c) return;
    c.dataset.conn = state;
    c.textContent = text;
  }

  function follow(url, handlers) {
    const es = new EventSource(url);
    es.onopen = () => {
      setConn('live', 'live');
      // a new stream starts with the backlog again
      if (handlers.ev) $('events').replaceChildren();
    };
    es.onerror = () => setConn('lost', 'reconnecting');
    for (const k of Object.keys(handlers)) {
      es.addEventListener(k, (e) => handlers[k](JSON.parse(e.data), es));
    }
    return es;
  }

  function time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString([], { hour12: false });
  }

  function stateClass(s) {
    return 'state-' + String(s || 'unknown').replace(/[^a-z]+/g, '-');
  }

  // ---- the index ----

  function card(lab) {
    const a = el('a', 'card ' + stateClass(lab.state));
    a.href = '/lab/' + encodeURIComponent(lab.name);
    a.dataset.lab = lab.name;
    a.dataset.state = lab.state || '';
    const top = el('div', 'card-top');
    top.append(el('span', 'card-name', lab.name), el('span', 'badge ' + stateClass(lab.state), lab.state));
    a.append(top);
    const facts = el('div', 'card-facts');
    facts.append(el('span', 'subnet', lab.subnet || 'no root segment'));
    if (lab.nodes !== undefined) facts.append(el('span', '', lab.nodes + (lab.nodes === 1 ? ' node' : ' nodes')));
    a.append(facts);
    const lead = el('div', 'card-leader');
    lead.dataset.leader = lab.leader || '';
    lead.textContent = lab.leader ? 'leader: ' + lab.leader : (lab.nodes ? 'no leader' : '');
    a.append(lead);
    const v = lab.verify;
    const ver = el('div', 'card-verify');
    if (v && v.steps) {
      const p = el('progress');
      p.max = v.steps;
      p.value = v.done;
      ver.append(el('span', 'steps', v.done + '/' + v.steps), p);
      ver.append(el('span', 'next', v.next ? 'next: ' + v.next : 'all done'));
      ver.dataset.done = v.done;
      ver.dataset.steps = v.steps;
    } else {
      ver.append(el('span', 'next', 'steps: being verified'));
    }
    a.append(ver);
    if (lab.check) a.append(el('div', 'card-check', 'check running: ' + Math.round(lab.check.elapsed) + ' s'));
    if (lab.error) a.append(el('div', 'card-error', lab.error));
    return a;
  }

  function renderLabs(rows) {
    const g = $('labs');
    g.replaceChildren(...rows.map(card));
    $('empty').hidden = rows.length > 0;
    document.title = 'labo: ' + rows.length + (rows.length === 1 ? ' lab' : ' labs');
  }

  // ---- a lab ----

  const labName = document.body.dataset.page === 'lab'
    ? decodeURIComponent(location.pathname.split('/')[2] || '') : null;

  function picture(snap) {
    const box = $('picture');
    if (!snap.svg) {
      box.replaceChildren(el('p', 'empty', snap.svg_error || snap.error || 'no picture yet'));
      return;
    }
    const doc = new DOMParser().parseFromString(snap.svg, 'image/svg+xml');
    const svg = doc.documentElement;
    if (!svg || svg.nodeName !== 'svg') return;
    // nothing active in it, whatever a lab file's labels said
    for (const s of svg.querySelectorAll('script, foreignObject')) s.remove();
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    const byId = {};
    for (const n of snap.nodes || []) byId[n.id] = n;
    for (const g of svg.querySelectorAll('g.node')) {
      const t = g.querySelector('title');
      const n = t && byId[t.textContent];
      if (n) {
        g.dataset.node = n.name;
        g.dataset.mode = n.mode;
      }
    }
    box.replaceChildren(document.importNode(svg, true));
  }

  function nodes(snap) {
    const ul = $('nodes');
    ul.replaceChildren(...(snap.nodes || []).map((n) => {
      const li = el('li', 'node ' + stateClass(n.mode));
      li.dataset.node = n.name;
      li.dataset.mode = n.mode;
      const sw = el('span', 'swatch');
      sw.style.background = n.color;
      li.append(sw, el('span', 'node-name', n.name), el('span', 'node-mode', n.mode),
        el('span', 'node-host', 'on ' + n.host));
      if (n.restarts) li.append(el('span', 'node-restarts', n.restarts + ' restart' + (n.restarts === 1 ? '' : 's')));
      if (actions) {
        const b = el('button', 'kill', 'kill');
        b.type = 'button';
        b.addEventListener('click', () => act('kill', { a: n.name }));
        li.append(b);
      }
      return li;
    }));
    const en = snap.ensemble;
    const lead = $('leader');
    lead.dataset.leader = (en && en.leader) || '';
    lead.textContent = en ? (en.leader ? 'leader: ' + en.leader : 'no quorum') : '';
    lead.className = 'leader' + (en && !en.quorum ? ' bad' : '');
  }

  function links(snap) {
    const ls = snap.links || [];
    $('links-box').hidden = ls.length === 0;
    $('links').replaceChildren(...ls.map((l) => {
      if (l.type === 'cut') {
        const li = el('li', 'cut', l.from + (l.both_ways ? ' ✕ ' : ' → ✕ ') + l.to + (l.both_ways ? '' : ' (one way)'));
        li.dataset.cut = l.from + ':' + l.to;
        return li;
      }
      return el('li', 'impaired', l.from + ' — ' + l.to + ': ' +
        [l.state === 'down' ? 'DOWN' : '', l.settings || ''].filter(Boolean).join(', '));
    }));
  }

  function check(snap) {
    const c = snap.check;
    $('check-box').hidden = !c;
    if (!c) return;
    const box = $('check');
    const head = el('p', '', 'running for ' + Math.round(c.elapsed) + ' s, ' + c.rate + ' writes a second through each node');
    const table = el('div', 'avail');
    for (const n of c.nodes || []) {
      const row = el('div', 'avail-row');
      row.dataset.node = n.name;
      row.append(el('span', 'avail-name', n.name));
      const strip = el('span', 'strip');
      for (const s of n.seconds || []) strip.append(el('i', 'sec sec-' + s));
      row.append(strip, el('span', 'avail-n', n.acked + ' acked, ' + n.refused + ' refused'));
      table.append(row);
    }
    box.replaceChildren(head, table);
  }

  // The last check's plot: an <img> (the SVG shown as a picture, nothing
  // in it runs), asked for again when the server says it changed.
  function checkPlot(snap) {
    const p = snap.check_plot;
    $('plot-box').hidden = !p;
    if (!p) return;
    const src = '/lab/' + encodeURIComponent(snap.name) + '/check.svg?v=' + p.version;
    const img = $('plot');
    if (img.getAttribute('src') !== src) img.setAttribute('src', src);
    $('plot-cap').textContent = 'last check: ended at ' + time(p.at) + (snap.check ? ' (another one is running)' : '');
  }

  function verify(snap) {
    const v = snap.verify;
    const box = $('verify');
    if (!v || !v.steps) {
      box.replaceChildren(el('p', 'empty', 'being verified'));
      return;
    }
    const ol = el('ol', 'steps');
    for (const c of v.checks || []) {
      const li = el('li', 'step step-' + c.state, c.id);
      li.title = c.detail || '';
      ol.append(li);
    }
    const p = el('progress');
    p.max = v.steps;
    p.value = v.done;
    box.replaceChildren(el('p', '', v.done + ' of ' + v.steps + ' done' + (v.next ? ', next: ' + v.next : '')), p, ol);
  }

  function hostsSelect(snap) {
    const hosts = (snap.hosts || []).map((h) => h.name);
    for (const id of ['host-a', 'host-b']) {
      const s = $(id);
      const values = (id === 'host-b' ? [''] : []).concat(hosts);
      // rebuilt only when the hosts change: an open list stays open
      if (s.dataset.hosts === values.join(' ')) continue;
      const was = s.value;
      s.replaceChildren(...values.map((h) => {
        const o = el('option', '', h || '(every other host)');
        o.value = h;
        return o;
      }));
      s.dataset.hosts = values.join(' ');
      if (values.includes(was)) s.value = was;
    }
  }

  function renderLab(snap) {
    $('title').textContent = snap.name;
    document.title = 'labo: ' + snap.name;
    const st = $('state');
    st.textContent = snap.state;
    st.className = 'badge ' + stateClass(snap.state);
    document.body.dataset.state = snap.state || '';
    picture(snap);
    nodes(snap);
    links(snap);
    check(snap);
    checkPlot(snap);
    verify(snap);
    $('actions').hidden = !actions;
    if (actions) hostsSelect(snap);
  }

  function addEvent(ev) {
    const ol = $('events');
    const li = el('li', 'ev ev-' + String(ev.kind || '').replace(/[^a-z]+/g, '-'));
    li.append(el('time', '', time(ev.time)), el('span', 'ev-kind', ev.kind),
      el('span', 'ev-subject', ev.subject), el('span', 'ev-msg', ev.message));
    ol.prepend(li);
    while (ol.children.length > 200) ol.lastChild.remove();
  }

  async function act(verb, args) {
    const out = $('action-out');
    if (!token) {
      token = (window.prompt('The token `labo web --allow-actions` printed:') || '').trim();
      sessionStorage.setItem('labo-token', token);
    }
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(args || {})) if (v) q.set(k, v);
    out.textContent = 'labo ' + verb + ' ...';
    try {
      const r = await fetch('/api/lab/' + encodeURIComponent(labName) + '/' + verb + (q.toString() ? '?' + q : ''),
        { method: 'POST', headers: { 'X-Labo-Token': token } });
      const text = await r.text();
      let o;
      try { o = JSON.parse(text); } catch (e) { o = { ok: false, output: text }; }
      out.textContent = (o.ok ? '' : 'failed: ') + (o.output || '').trim();
      out.dataset.ok = o.ok ? 'true' : 'false';
    } catch (e) {
      out.textContent = 'failed: ' + e;
    }
  }

  function wireActions() {
    $('do-partition').addEventListener('click', () => act('partition', { a: $('host-a').value, b: $('host-b').value }));
    $('do-heal').addEventListener('click', () => {
      const b = $('host-b').value;
      act('heal', b ? { a: $('host-a').value, b } : {});
    });
    $('do-reset').addEventListener('click', () => {
      if (window.confirm('Reset lab ' + labName + ' to how `labo up` left it?')) act('reset', {});
    });
  }

  async function main() {
    try {
      const c = await (await fetch('/api/config')).json();
      actions = !!c.actions;
    } catch (e) {
      actions = false;
    }
    if (document.body.dataset.page === 'index') {
      follow('/events', { labs: renderLabs });
    } else {
      if (actions) wireActions();
      follow('/lab/' + encodeURIComponent(labName) + '/events', {
        snapshot: renderLab,
        ev: addEvent,
        gone: (d, es) => {
          es.close();
          setConn('lost', 'the lab is down');
          document.body.dataset.state = 'gone';
          $('state').textContent = 'gone';
        },
      });
    }
  }
  main();
})();
