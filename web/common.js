// Helpers shared by the anonymous room (app.js) and the signed-in client (account.js). Classic scripts rather than
// modules: the page also works opened from disk (file://), where Chromium refuses to load modules.
"use strict";

window.StChat = (() => {
  // The server allows 10 frames per second with a burst of 20; stay below it so nothing is dropped.
  const FRAMES_PER_SECOND = 8;
  const FRAME_BURST = 15;
  // A message not acknowledged within this long is sent again with its id; the server stores each id once.
  const ACK_TIMEOUT_MS = 8000;
  const TYPING_SEND_INTERVAL_MS = 1500;
  const TYPING_SHOW_MS = 3500;
  // Chat:MaxMessageBytes on the server; a longer frame would close the connection.
  const MAX_MESSAGE_BYTES = 4096;

  // ws(s)://host of the chat server: the page's own host, or ?server= for a page served from elsewhere.
  function serverBase() {
    const override = new URLSearchParams(location.search).get("server");
    if (override) return override.replace(/\/+$/, "");
    if (location.protocol === "http:" || location.protocol === "https:") {
      return (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
    }
    return "ws://127.0.0.1:8888";
  }

  // http(s)://host of the same server, for the REST API.
  function httpBase() {
    return serverBase().replace(/^ws/, "http");
  }

  // A version-4 UUID from getRandomValues, which (unlike randomUUID) also exists on plain-http pages.
  function newId() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timeOf(ts) {
    const d = ts ? new Date(ts) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // A received frame, or null when it is not JSON.
  function parseFrame(data) {
    try {
      return JSON.parse(data);
    } catch {
      return null;
    }
  }

  // A message sent and not yet acknowledged (p: { state, seq, sentAt }).
  function awaitsAck(p) {
    return p.seq === undefined && p.state !== "failed";
  }

  function isOverdue(p, now) {
    return awaitsAck(p) && p.sentAt && now - p.sentAt > ACK_TIMEOUT_MS;
  }

  // The reason shown for a closed socket: the server's, else the lost connection's.
  function closeReason(event) {
    return event.reason ? ` (${event.reason})` : event.code === 1006 ? " (connection lost)" : "";
  }

  function reconnectBannerText(why, seconds) {
    return `Disconnected from the chat server${why}. Reconnecting in ${seconds}s… ` +
      "Messages you send now are kept and sent after reconnecting.";
  }

  function setStatus(node, state, text) {
    node.dataset.state = state;
    node.textContent = text;
  }

  function isAtEnd(wrap) {
    return wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 40;
  }

  function scrollToEnd(wrap) {
    wrap.scrollTop = wrap.scrollHeight;
  }

  // A room event as a line of the log: a message, or a system line with `systemText`.
  function eventNode(e, mine, systemText) {
    const node = el("li", e.action === "message" ? "message" : "system");
    node.dataset.seq = String(e.seq);
    node.dataset.action = e.action;
    if (mine) node.classList.add("mine");
    node.append(el("span", "time", timeOf(e.ts)));
    if (e.action === "message") {
      node.append(el("span", "user", e.user), el("span", "text", e.text ?? ""));
    } else {
      node.append(el("span", "text", systemText));
    }
    return node;
  }

  // A message of ours on its way, below the log until its event arrives.
  function pendingNode(id, user, text, label) {
    const node = el("li", "pending");
    node.dataset.id = id;
    node.append(el("span", "time", timeOf()), el("span", "user", user), el("span", "text", text),
      el("span", "state", label));
    return node;
  }

  // Enter sends the composed message (Shift+Enter is a new line); `reject(why)` when it is too long for the server.
  function enterToSend(textarea, ready, reject, send) {
    return (e) => {
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || !ready()) return;
      e.preventDefault();
      const text = textarea.value.trim();
      if (!text) return;
      if (new TextEncoder().encode(text).length > MAX_MESSAGE_BYTES) {
        reject(`That message is longer than ${MAX_MESSAGE_BYTES} bytes; shorten it.`);
        return;
      }
      textarea.value = "";
      send(text);
    };
  }

  // Who is typing, shown in `node` for a few seconds after each notice or until their message arrives.
  class TypingNotices {
    constructor(node) {
      this.node = node;
      this.timers = new Map();      // user -> timer
    }

    show(user) {
      clearTimeout(this.timers.get(user));
      this.timers.set(user, setTimeout(() => this.stop(user), TYPING_SHOW_MS));
      this.render();
    }

    stop(user) {
      if (!this.timers.has(user)) return;
      clearTimeout(this.timers.get(user));
      this.timers.delete(user);
      this.render();
    }

    clear() {
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
    }

    render() {
      const names = [...this.timers.keys()];
      this.node.textContent = names.length === 0 ? ""
        : names.length === 1 ? `${names[0]} is typing…`
        : names.length <= 3 ? `${names.join(", ")} are typing…`
        : "Several people are typing…";
    }
  }

  // Frames leave through a small token bucket so a burst (resends and re-subscribes after a reconnect) stays under
  // the server's limit instead of being dropped. One per socket; `socket()` returns the socket to write to, or null.
  class FramePacer {
    constructor(socket) {
      this.socket = socket;
      this.outbox = [];
      this.tokens = FRAME_BURST;
      this.tokensAt = performance.now();
      this.timer = 0;
    }

    send(frame) {
      this.outbox.push(JSON.stringify(frame));
      this.pump();
    }

    // Spare capacity for frames that may be skipped (typing notices).
    hasRoom(n = 2) {
      this.refill();
      return this.tokens >= n;
    }

    clear() {
      this.outbox = [];
      clearTimeout(this.timer);
    }

    refill() {
      const now = performance.now();
      this.tokens = Math.min(FRAME_BURST, this.tokens + (now - this.tokensAt) * FRAMES_PER_SECOND / 1000);
      this.tokensAt = now;
    }

    pump() {
      clearTimeout(this.timer);
      this.refill();
      while (this.outbox.length > 0 && this.tokens >= 1) {
        const socket = this.socket();
        if (!socket || socket.readyState !== WebSocket.OPEN) {
          this.outbox = [];
          return;
        }
        socket.send(this.outbox.shift());
        this.tokens -= 1;
      }
      if (this.outbox.length > 0) this.timer = setTimeout(() => this.pump(), 1000 / FRAMES_PER_SECOND);
    }
  }

  // Exponential backoff with jitter, so that a restarted server is not hit by every page at the same moment.
  class Backoff {
    constructor(minMs = 500, maxMs = 10000) {
      this.minMs = minMs;
      this.maxMs = maxMs;
      this.attempt = 0;
    }

    next() {
      const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
      this.attempt++;
      return base / 2 + Math.random() * base / 2;
    }

    reset() {
      this.attempt = 0;
    }
  }

  return {
    TYPING_SEND_INTERVAL_MS, serverBase, httpBase, newId, el, timeOf, parseFrame, awaitsAck, isOverdue,
    closeReason, reconnectBannerText, setStatus, isAtEnd, scrollToEnd, eventNode, pendingNode, enterToSend,
    TypingNotices, FramePacer, Backoff,
  };
})();
