// The live catalogue (/feeds): the latest sport_event and execution rows, newest first, counts per sport, a price
// chart per execution symbol, and the ingest rate and lag. Rows come over /feeds/ws in stream order, each once; after
// a disconnect the page resumes after the last seq it received (a row's or a horizon frame's), so it shows no row twice.
"use strict";

(() => {
  const { serverBase, httpBase, el, parseFrame, setStatus, closeReason, Backoff } = window.StChat;

  // Rows kept in each table, points per price chart, and how far back (in stream seqs) a fresh page starts.
  const MAX_ROWS = 100;
  const MAX_POINTS = 60;
  const HISTORY_SEQS = 400;
  const STATS_INTERVAL_MS = 2000;

  const status = document.getElementById("status");
  const sportBody = document.querySelector("#sport-events tbody");
  const executionBody = document.querySelector("#executions tbody");
  const sportList = document.getElementById("sports");
  const charts = document.getElementById("charts");

  const sportCounts = new Map();
  const series = new Map();
  const backoff = new Backoff(500, 5000);
  let cursor = 0;
  let countedUpTo = 0;

  function timeText(ts) {
    return new Date(ts).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function addRow(body, seq, cells) {
    const tr = el("tr", "fresh");
    tr.dataset.seq = String(seq);
    for (const text of [String(seq), ...cells]) tr.append(el("td", "", text));
    body.prepend(tr);
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
  }

  function renderCounts() {
    const sorted = [...sportCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    sportList.replaceChildren(...sorted.map(([sport, count]) => {
      const li = el("li");
      li.dataset.sport = sport;
      li.append(`${sport} `, el("b", "", String(count)));
      return li;
    }));
  }

  function chartFor(symbol) {
    let chart = series.get(symbol);
    if (chart) return chart;
    const node = el("figure", "chart");
    node.dataset.symbol = symbol;
    const head = el("header");
    const price = el("b");
    head.append(el("span", "", symbol), price);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 100 40");
    svg.setAttribute("preserveAspectRatio", "none");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    svg.append(line);
    node.append(head, svg);
    charts.append(node);
    chart = { points: [], line, price };
    series.set(symbol, chart);
    return chart;
  }

  function plot(symbol, price) {
    const chart = chartFor(symbol);
    chart.points.push(price);
    if (chart.points.length > MAX_POINTS) chart.points.shift();
    const min = Math.min(...chart.points);
    const span = Math.max(...chart.points) - min || 1;
    const step = chart.points.length > 1 ? 100 / (chart.points.length - 1) : 0;
    chart.line.setAttribute("points", chart.points
      .map((p, i) => `${(i * step).toFixed(2)},${(38 - ((p - min) / span) * 36).toFixed(2)}`).join(" "));
    chart.price.textContent = price.toFixed(2);
  }

  function show(frame) {
    if (frame.type === "horizon") {
      cursor = frame.seq;
      document.getElementById("horizon").textContent = `#${frame.seq}`;
      return;
    }

    cursor = frame.seq;
    if (frame.type === "sport_event") {
      addRow(sportBody, frame.seq, [frame.sport, frame.match_title, frame.data_event, timeText(frame.published_at)]);
      if (frame.seq > countedUpTo) {
        sportCounts.set(frame.sport, (sportCounts.get(frame.sport) || 0) + 1);
        renderCounts();
      }
    } else if (frame.type === "execution") {
      addRow(executionBody, frame.seq, [frame.symbol, frame.market, frame.price.toFixed(2), String(frame.quantity),
        frame.state_symbol, timeText(frame.published_at)]);
      plot(frame.symbol, frame.price);
    }
  }

  function connect() {
    setStatus(status, "connecting", "connecting…");
    const socket = new WebSocket(`${serverBase()}/feeds/ws?after=${cursor}`);
    socket.onopen = () => {
      backoff.reset();
      setStatus(status, "open", "live");
    };
    socket.onmessage = (event) => {
      const frame = parseFrame(event.data);
      if (frame) show(frame);
    };
    socket.onclose = (event) => {
      const wait = backoff.next();
      setStatus(status, "closed", `disconnected${closeReason(event)}; retrying in ${Math.ceil(wait / 1000)} s`);
      setTimeout(connect, wait);
    };
  }

  async function refreshStats() {
    try {
      const response = await fetch(`${httpBase()}/api/feeds/stats`);
      if (response.ok) {
        const stats = await response.json();
        document.getElementById("rate").textContent = stats.rate.toFixed(1);
        document.getElementById("pending").textContent = String(stats.pending);
        document.getElementById("lag").textContent = stats.lag_seconds == null ? "–" : `${(stats.lag_seconds * 1000).toFixed(0)} ms`;
      }
    } catch {
      // The status line already says when the server is away.
    }
  }

  // The counts up to the horizon come from the server; rows after it are counted as they arrive. The socket starts a
  // little before the horizon so that a fresh page has recent rows and prices to show. Until the server has told the
  // horizon (it may be starting, or away) the page waits and asks again, rather than read the catalogue from its start.
  async function loadCounts() {
    const response = await fetch(`${httpBase()}/api/feeds/sports`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const sports = await response.json();
    countedUpTo = sports.horizon;
    cursor = Math.max(0, sports.horizon - HISTORY_SEQS);
    for (const { sport, count } of sports.sports) sportCounts.set(sport, count);
    renderCounts();
  }

  async function start() {
    for (;;) {
      try {
        await loadCounts();
        break;
      } catch {
        const wait = backoff.next();
        setStatus(status, "closed", `waiting for the server; retrying in ${Math.ceil(wait / 1000)} s`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }

    backoff.reset();
    connect();
    refreshStats();
    setInterval(refreshStats, STATS_INTERVAL_MS);
  }

  start();
})();
