// Helpers shared by the anonymous room (app.js) and the signed-in client (account.js). Classic scripts rather than
// modules: the page also works opened from disk (file://), where Chromium refuses to load modules.
"use strict";

window.StChat = (() => {
  // The server allows 10 frames per second with a burst of 20; stay below it so nothing is dropped.
  const FRAMES_PER_SECOND = 8;
  const FRAME_BURST = 15;

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

  return { serverBase, httpBase, newId, el, timeOf, FramePacer, Backoff };
})();
