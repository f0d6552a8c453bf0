// StChat browser client. Plain JavaScript, no dependencies: it has to work on machines with no internet access.
// This file runs an anonymous public room and starts the page; account.js is the signed-in client.
//
// Delivery rules the page relies on (see the chat server): events of a room carry a gapless seq starting at 1 and
// arrive in seq order on one connection; reconnecting with ?after=<last seq> replays everything after it; a message
// sent again with the same id is stored once and acknowledged with its original seq. So the page keeps the last seq
// it rendered, ignores any event at or below it, and resends every unacknowledged message with its id after a
// reconnect: nothing is shown twice and nothing goes missing.
"use strict";

(() => {
  const {
    TYPING_SEND_INTERVAL_MS, serverBase, newId, el, parseFrame, awaitsAck, isOverdue, closeReason, reconnectBannerText,
    eventNode, pendingNode, enterToSend, TypingNotices, FramePacer, Backoff, Api, Account,
  } = StChat;
  // The server's rule for room names (checked again there; HTTP 400 before the upgrade).
  const { ROOM_PATTERN } = StChat.Conversations;

  const $ = (id) => document.getElementById(id);
  const ui = {
    join: $("join"), name: $("name"), room: $("room"), joinError: $("join-error"),
    chat: $("chat"), log: $("log"), pending: $("pending"), logWrap: $("log-wrap"),
    people: $("people"), peopleCount: $("people-count"), peoplePanel: document.querySelector(".people"),
    text: $("text"), typing: $("typing"), where: $("where"), status: $("status"), leave: $("leave"),
    banner: $("banner"), bannerText: $("banner-text"), reconnectNow: $("reconnect-now"),
    welcome: $("welcome"), auth: $("auth"), authName: $("auth-name"), authPassword: $("auth-password"),
    authError: $("auth-error"), me: $("me"), logout: $("logout"),
  };

  // One joined room. Replaced as a whole when the user changes room, so no state leaks between rooms.
  let session = null;
  // The signed-in client, when an account is signed in on this page.
  let account = null;

  class Session {
    constructor(name, room) {
      this.name = name;
      this.room = room;
      this.lastSeq = 0;
      this.pending = new Map();      // id -> { text, node, state, sentAt, seq }
      this.socket = null;
      this.closedByUser = false;
      this.backoff = new Backoff();
      this.reconnectTimer = 0;
      this.reconnectAt = 0;
      this.bannerTimer = 0;
      this.resumeAsked = false;
      this.whoTimer = 0;
      this.typists = new TypingNotices(ui.typing);
      this.lastTypingSent = 0;
      this.pacer = new FramePacer(() => this.socket);
      this.ackTimer = setInterval(() => this.resendOverdue(), 1000);
    }

    url() {
      const query = new URLSearchParams({ name: this.name });
      if (this.lastSeq > 0) query.set("after", String(this.lastSeq));
      return `${serverBase()}/rooms/${encodeURIComponent(this.room)}?${query}`;
    }

    connect() {
      clearTimeout(this.reconnectTimer);
      clearInterval(this.bannerTimer);
      if (this.closedByUser) return;
      setStatus("connecting", this.backoff.attempt === 0 ? "connecting…" : "reconnecting…");
      let socket;
      try {
        socket = new WebSocket(this.url());
      } catch (e) {
        this.showNotice(`Cannot connect: ${e.message}`);
        this.scheduleReconnect();
        return;
      }
      this.socket = socket;
      this.resumeAsked = false;
      socket.onopen = () => this.onOpen(socket);
      socket.onmessage = (m) => this.onFrame(socket, m.data);
      socket.onclose = (e) => this.onClose(socket, e);
    }

    onOpen(socket) {
      if (socket !== this.socket) return;
      this.backoff.reset();
      setStatus("open", "connected");
      hideBanner();
      ui.peoplePanel.classList.remove("stale");
      this.askWho();
      // Everything not yet acknowledged goes again with its id; the server stores each id once.
      for (const [id, p] of this.pending) {
        if (awaitsAck(p)) this.transmit(id);
      }
    }

    onClose(socket, event) {
      if (socket !== this.socket) return;
      this.socket = null;
      this.pacer.clear();
      if (this.closedByUser) return;
      setStatus("closed", "disconnected");
      ui.peoplePanel.classList.add("stale");
      for (const [id, p] of this.pending) {
        if (awaitsAck(p)) this.setPendingState(id, "queued", "will be sent when reconnected");
      }
      this.scheduleReconnect(closeReason(event));
    }

    scheduleReconnect(why = "") {
      const delay = this.backoff.next();
      this.reconnectAt = Date.now() + delay;
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
      const tick = () => {
        const seconds = Math.max(0, Math.ceil((this.reconnectAt - Date.now()) / 1000));
        showBanner(reconnectBannerText(why, seconds));
      };
      tick();
      clearInterval(this.bannerTimer);
      this.bannerTimer = setInterval(tick, 500);
    }

    reconnectNow() {
      if (this.socket || this.closedByUser) return;
      this.backoff.reset();
      this.connect();
    }

    close() {
      this.closedByUser = true;
      clearTimeout(this.reconnectTimer);
      clearInterval(this.bannerTimer);
      clearInterval(this.ackTimer);
      this.pacer.clear();
      clearTimeout(this.whoTimer);
      this.typists.clear();
      if (this.socket) this.socket.close(1000, "left");
      this.socket = null;
    }

    onFrame(socket, data) {
      if (socket !== this.socket) return;
      const frame = parseFrame(data);
      switch (frame?.action) {
        case "join":
        case "message":
        case "exit":
          this.onEvent(frame);
          break;
        case "ack":
          this.onAck(frame);
          break;
        case "who":
          this.renderPeople(frame.users || []);
          break;
        case "typing":
          this.onTyping(frame.user);
          break;
        case "error":
          this.onError(frame);
          break;
        default:
          break;
      }
    }

    onEvent(e) {
      if (typeof e.seq !== "number" || e.seq <= this.lastSeq) return;   // already shown
      if (this.lastSeq > 0 && e.seq > this.lastSeq + 1) {
        // A hole: ask for everything after the last seq we have; the replay brings this event too.
        if (!this.resumeAsked) {
          this.resumeAsked = true;
          this.sendFrame({ action: "resume", after: this.lastSeq });
        }
        return;
      }
      this.resumeAsked = false;
      this.lastSeq = e.seq;
      this.renderEvent(e);
      if (e.action === "message" && e.id && this.pending.has(e.id)) this.dropPending(e.id);
      if (e.action !== "message") this.askWhoSoon();
      if (e.action === "message") this.typists.stop(e.user);
    }

    onAck(a) {
      const p = this.pending.get(a.id);
      if (!p) return;
      p.seq = a.seq;
      if (a.seq <= this.lastSeq) this.dropPending(a.id);     // its event is already on screen
      else this.setPendingState(a.id, "stored", "stored");
    }

    onError(err) {
      if (err.id && this.pending.has(err.id)) {
        if (err.retryable) {
          this.setPendingState(err.id, "retrying", "retrying…");
          setTimeout(() => { if (this.pending.has(err.id) && this.socket) this.transmit(err.id); }, 1000);
        } else {
          this.setPendingState(err.id, "failed", `not sent: ${err.message}`);
        }
        return;
      }
      if (err.code === "rate_limited") {
        // The dropped frame carries no id; the overdue check resends whatever was not acknowledged.
        return;
      }
      this.showNotice(err.message || err.code || "error");
    }

    onTyping(user) {
      if (!user || user === this.name) return;
      this.typists.show(user);
    }

    askWho() {
      this.sendFrame({ action: "who" });
    }

    // Joins and exits come in bursts (history, reconnect storms): one presence query per burst is enough.
    askWhoSoon() {
      clearTimeout(this.whoTimer);
      this.whoTimer = setTimeout(() => this.askWho(), 400);
    }

    send(text) {
      // The message ends the typing notice on the other pages; the next keystroke announces typing again.
      this.lastTypingSent = 0;
      const id = newId();
      const node = pendingNode(id, this.name, text, "sending…");
      ui.pending.append(node);
      this.pending.set(id, { text, node, state: "sending" });
      scrollToEnd();
      if (this.socket && this.socket.readyState === WebSocket.OPEN) this.transmit(id);
      else this.setPendingState(id, "queued", "will be sent when reconnected");
    }

    transmit(id) {
      const p = this.pending.get(id);
      if (!p) return;
      p.sentAt = Date.now();
      if (p.state !== "sending") this.setPendingState(id, "sending", "sending…");
      this.sendFrame({ message: p.text, id });
    }

    resendOverdue() {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
      const now = Date.now();
      for (const [id, p] of this.pending) {
        if (isOverdue(p, now)) this.transmit(id);
      }
    }

    typing() {
      const now = Date.now();
      if (now - this.lastTypingSent < TYPING_SEND_INTERVAL_MS) return;
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN || !this.pacer.hasRoom()) return;
      this.lastTypingSent = now;
      this.sendFrame({ action: "typing" });
    }

    sendFrame(frame) {
      this.pacer.send(frame);
    }

    setPendingState(id, state, label) {
      const p = this.pending.get(id);
      if (!p) return;
      p.state = state;
      p.node.classList.toggle("failed", state === "failed");
      p.node.querySelector(".state").textContent = label;
    }

    dropPending(id) {
      const p = this.pending.get(id);
      if (!p) return;
      p.node.remove();
      this.pending.delete(id);
    }

    renderEvent(e) {
      const node = eventNode(e, e.user === this.name, e.action === "join" ? `${e.user} joined` : `${e.user} left`);
      const atEnd = isAtEnd();
      ui.log.append(node);
      if (atEnd) scrollToEnd();
    }

    renderPeople(users) {
      const unique = [...new Set(users)];
      ui.people.replaceChildren(...unique.map((u) => {
        const li = el("li", u === this.name ? "me" : "", u === this.name ? `${u} (you)` : u);
        li.dataset.user = u;
        return li;
      }));
      ui.peopleCount.textContent = `(${unique.length})`;
    }

    showNotice(text) {
      ui.log.append(el("li", "notice", text));
      scrollToEnd();
    }
  }

  function isAtEnd() {
    return StChat.isAtEnd(ui.logWrap);
  }

  function scrollToEnd() {
    StChat.scrollToEnd(ui.logWrap);
  }

  function setStatus(state, text) {
    StChat.setStatus(ui.status, state, text);
  }

  function showBanner(text) {
    ui.bannerText.textContent = text;
    ui.banner.hidden = false;
  }

  function hideBanner() {
    ui.banner.hidden = true;
  }

  function join(name, room) {
    if (session) session.close();
    ui.log.replaceChildren();
    ui.pending.replaceChildren();
    ui.people.replaceChildren();
    ui.peopleCount.textContent = "";
    ui.typing.textContent = "";
    ui.welcome.hidden = true;
    ui.chat.hidden = false;
    ui.leave.hidden = false;
    ui.where.textContent = `#${room} as ${name}`;
    document.title = `#${room} · StChat`;
    localStorage.setItem("stchat.name", name);
    localStorage.setItem("stchat.room", room);
    if (location.hash !== `#${room}`) history.replaceState(null, "", `#${room}`);
    session = new Session(name, room);
    session.connect();
    ui.text.focus();
  }

  function leave() {
    if (session) session.close();
    session = null;
    hideBanner();
    setStatus("idle", "not connected");
    ui.chat.hidden = true;
    ui.leave.hidden = true;
    ui.welcome.hidden = false;
    ui.where.textContent = "";
    document.title = "StChat";
    ui.name.focus();
  }

  // ---- accounts ----------------------------------------------------------------------------------------------------

  function startAccount(stored) {
    if (session) leave();
    hideBanner();
    ui.welcome.hidden = true;
    ui.me.textContent = stored.name;
    ui.me.hidden = false;
    ui.logout.hidden = false;
    const client = new Account.AccountClient(stored, (message) => {
      if (account === client) account = null;
      Api.forgetSession(stored.token);
      showSignIn(message);
    });
    account = client;
    client.start();
  }

  function showSignIn(message = "") {
    hideBanner();
    setStatus("idle", "not connected");
    ui.me.hidden = true;
    ui.logout.hidden = true;
    ui.where.textContent = "";
    ui.welcome.hidden = false;
    ui.authError.textContent = message;
    ui.authPassword.value = "";
    document.title = "StChat";
    ui.authName.focus();
  }

  async function logOut() {
    const client = account;
    if (!client) return;
    account = null;
    client.stop();
    try {
      await Api.signOut(client.token);
      showSignIn("");
    } catch (e) {
      // The page has forgotten the token either way; it stays valid on the server until it expires.
      showSignIn(`Signed out on this page, but the server did not confirm it: ${e.message}`);
    }
  }

  ui.auth.addEventListener("submit", async (e) => {
    e.preventDefault();
    const creating = e.submitter?.id === "signup";
    const name = ui.authName.value.trim();
    const password = ui.authPassword.value;
    if (!Api.NAME_PATTERN.test(name)) {
      ui.authError.textContent = "Account names are 2-32 letters, digits, '_', '.' or '-'.";
      return;
    }
    if (password.length < (creating ? 8 : 1)) {
      ui.authError.textContent = creating ? "Pick a password of at least 8 characters." : "Enter your password.";
      return;
    }
    ui.authError.textContent = creating ? "Creating the account…" : "Signing in…";
    for (const b of ui.auth.querySelectorAll("button")) b.disabled = true;
    try {
      const stored = creating ? await Api.signUp(name, password) : await Api.signIn(name, password);
      ui.authError.textContent = "";
      ui.authPassword.value = "";
      startAccount(stored);
    } catch (err) {
      const wait = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : "";
      ui.authError.textContent = `${err.message}${wait}`;
    } finally {
      for (const b of ui.auth.querySelectorAll("button")) b.disabled = false;
    }
  });

  ui.logout.addEventListener("click", logOut);

  // Another tab signed in or out: follow it, unless this tab is in an anonymous room.
  window.addEventListener("storage", (e) => {
    if (e.key !== null && e.key !== Api.SESSION_KEY) return;
    const stored = Api.loadSession();
    if (account && stored?.token === account.token) return;
    if (account) {
      const client = account;
      account = null;
      client.stop();
      if (!stored) showSignIn("Signed out in another tab.");
    }
    if (stored && !session) startAccount(stored);
  });

  ui.join.addEventListener("submit", (e) => {
    e.preventDefault();
    const name = ui.name.value.trim();
    const room = ui.room.value.trim();
    if (!name) { ui.joinError.textContent = "Pick a name."; return; }
    if (!ROOM_PATTERN.test(room)) { ui.joinError.textContent = "Room: 1-64 letters, digits, '_' or '-'."; return; }
    ui.joinError.textContent = "";
    join(name, room);
  });

  ui.text.addEventListener("keydown", enterToSend(ui.text, () => session !== null,
    (why) => session.showNotice(why), (text) => session.send(text)));

  ui.text.addEventListener("input", () => { if (session && ui.text.value) session.typing(); });
  ui.leave.addEventListener("click", leave);
  ui.reconnectNow.addEventListener("click", () => {
    if (session) session.reconnectNow();
    if (account) account.reconnectNow();
  });

  // Prefill from the last visit; #room in the address picks the room.
  const hashRoom = decodeURIComponent(location.hash.slice(1));
  ui.name.value = localStorage.getItem("stchat.name") || "";
  ui.room.value = ROOM_PATTERN.test(hashRoom) ? hashRoom : (localStorage.getItem("stchat.room") || "lobby");
  const stored = Api.loadSession();
  if (stored) startAccount(stored);
  else ui.authName.focus();
})();
