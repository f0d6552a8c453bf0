// The signed-in client: ONE /ws socket for every conversation of the account, the sidebar and the open conversation.
//
// What the page relies on (see api.md): each conversation's events carry a gapless seq and arrive in order on one
// subscription; subscribing with "after":N replays everything after N; a message sent again with the same id is stored
// once and acknowledged with its original seq; read markers never move back and are echoed to every socket of the
// reader. So for each conversation the page keeps the last seq it has (seenSeq), ignores events at or below it,
// re-subscribes with after=seenSeq after a reconnect, and resends unacknowledged messages with their ids.
//
// Unread counts: the server's count (GET /api/conversations) covers the log up to that entry's last_seq; messages by
// others that arrive later are counted one by one. A read frame from this account (this tab or another) clears both.
"use strict";

(() => {
  const {
    TYPING_SEND_INTERVAL_MS, serverBase, newId, el, parseFrame, awaitsAck, isOverdue, closeReason, reconnectBannerText,
    setStatus, isAtEnd, scrollToEnd, eventNode, pendingNode, enterToSend, TypingNotices, FramePacer, Backoff,
  } = StChat;
  const { request, NAME_PATTERN } = StChat.Api;
  const { Conversation, directKey, kindOf, sameName, ROOM_PATTERN } = StChat.Conversations;

  const PAGE_SIZE = 50;
  const DIRECTORY_REFRESH_MS = 15000;
  const SIGNED_OUT_CLOSE_CODE = 4001;
  // #/c/<conversation key>: a conversation can be bookmarked or shared as a link (members only, of course).
  const ROUTE_PREFIX = "#/c/";

  const $ = (id) => document.getElementById(id);

  const enc = encodeURIComponent;

  // The signed-in page. `session` is {token, name}; `onEnd(message)` is called once when the session is over.
  class AccountClient {
    constructor(session, onEnd) {
      this.token = session.token;
      this.me = session.name;
      this.onEnd = onEnd;
      this.ui = {
        app: $("app"), list: $("conversations"), listNote: $("conversations-note"),
        roomForm: $("room-form"), roomName: $("room-name"), newGroup: $("new-group"),
        userSearch: $("user-search"), users: $("users"),
        conv: $("conv"), empty: $("conv-empty"), head: $("conv-head"), title: $("conv-title"), members: $("conv-members"),
        addMember: $("add-member"), addMemberName: $("add-member-name"), leaveGroup: $("leave-group"),
        logWrap: $("conv-log-wrap"), older: $("older"), log: $("conv-log"), pending: $("conv-pending"),
        error: $("conv-error"), compose: $("conv-compose"), typing: $("conv-typing"), text: $("conv-text"),
        groupDialog: $("group-dialog"), groupForm: $("group-form"), groupTitle: $("group-title"),
        groupMembers: $("group-members"), groupError: $("group-error"), groupCancel: $("group-cancel"),
        status: $("status"), banner: $("banner"), bannerText: $("banner-text"),
      };
      this.convs = new Map();
      this.listItems = new Map();       // room -> <li>
      this.current = null;
      this.socket = null;
      this.pacer = new FramePacer(() => this.socket);
      this.backoff = new Backoff();
      this.everOpened = false;
      this.ended = false;
      this.timers = new Set();
      this.typists = new TypingNotices(this.ui.typing);
      this.lastTypingSent = 0;
      this.listLoaded = false;
      this.serverRestarting = false;
      this.listeners = [];
    }

    // ---- life cycle ----------------------------------------------------------------------------------------------

    async start() {
      this.bindUi();
      this.ui.app.hidden = false;
      this.showConversation(null);
      try {
        const me = await this.api("GET", "/api/me");
        if (this.ended) return;
        this.me = me.name;
      } catch (e) {
        if (!this.ended && e.status !== 401) this.setListNote(`Cannot reach the server: ${e.message}`);
        if (this.ended || e.status === 401) return;
      }
      await this.loadConversations();
      if (this.ended) return;
      this.connect();
      this.loadUsers();
      this.every(DIRECTORY_REFRESH_MS, () => { if (document.visibilityState === "visible") this.loadUsers(); });
      this.every(1000, () => this.resendOverdue());
      this.route();
    }

    // Leaves the page as it was before sign-in; the caller deals with the token.
    stop() {
      if (this.ended) return;
      this.ended = true;
      for (const t of this.timers) { clearTimeout(t); clearInterval(t); }
      this.timers.clear();
      this.typists.clear();
      for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
      this.pacer.clear();
      if (this.socket) {
        const s = this.socket;
        this.socket = null;
        s.close(1000, "signed out");
      }
      this.ui.app.hidden = true;
      if (this.ui.groupDialog.open) this.ui.groupDialog.close();
      for (const node of [this.ui.list, this.ui.users, this.ui.log, this.ui.pending]) node.replaceChildren();
      this.ui.listNote.textContent = "";
      this.ui.typing.textContent = "";
      this.ui.error.textContent = "";
      this.ui.text.value = "";
      this.ui.banner.hidden = true;
      if (location.hash.startsWith(ROUTE_PREFIX)) history.replaceState(null, "", location.pathname + location.search);
    }

    end(message) {
      if (this.ended) return;
      this.stop();
      this.onEnd(message);
    }

    api(method, path, options = {}) {
      return request(method, path, {
        ...options,
        token: this.token,
        onUnauthorized: () => this.end("Your session has ended (signed out elsewhere or expired). Sign in again."),
      });
    }

    on(target, type, fn) {
      target.addEventListener(type, fn);
      this.listeners.push([target, type, fn]);
    }

    // Items of the sidebar's lists open on a click, or on Enter or Space when focused (they are tabbable).
    onActivate(list, selector, fn) {
      this.on(list, "click", (e) => {
        const item = e.target.closest(selector);
        if (item) fn(item);
      });
      this.on(list, "keydown", (e) => {
        const item = e.target.closest(selector);
        if (!item || (e.key !== "Enter" && e.key !== " ")) return;
        e.preventDefault();
        fn(item);
      });
    }

    every(ms, fn) {
      this.timers.add(setInterval(fn, ms));
    }

    later(ms, fn) {
      const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
      this.timers.add(t);
      return t;
    }

    bindUi() {
      const ui = this.ui;
      this.on(ui.roomForm, "submit", (e) => {
        e.preventDefault();
        const room = ui.roomName.value.trim();
        if (!ROOM_PATTERN.test(room)) {
          this.showError("Room names are 1-64 letters, digits, '_' or '-'.");
          return;
        }
        ui.roomName.value = "";
        this.open(room);
      });
      let searchTimer = 0;
      this.on(ui.userSearch, "input", () => {
        clearTimeout(searchTimer);
        searchTimer = this.later(250, () => this.loadUsers());
      });
      this.onActivate(ui.users, "li[data-user]", (li) =>
        this.open(directKey(this.me, li.dataset.user), { members: [this.me, li.dataset.user] }));
      this.onActivate(ui.list, "li[data-room]", (li) => this.open(li.dataset.room));
      this.on(ui.newGroup, "click", () => {
        ui.groupError.textContent = "";
        ui.groupDialog.showModal();
        ui.groupTitle.focus();
      });
      this.on(ui.groupCancel, "click", () => ui.groupDialog.close());
      this.on(ui.groupForm, "submit", (e) => {
        e.preventDefault();
        this.createGroup();
      });
      this.on(ui.addMember, "submit", (e) => {
        e.preventDefault();
        this.addMember(this.convs.get(this.current), ui.addMemberName.value.trim());
      });
      this.on(ui.leaveGroup, "click", () => this.leaveGroup(this.convs.get(this.current)));
      this.on(ui.logWrap, "scroll", () => {
        if (ui.logWrap.scrollTop < 60 && this.current) this.loadOlder(this.convs.get(this.current));
      });
      this.on(ui.older, "click", () => { if (this.current) this.loadOlder(this.convs.get(this.current)); });
      this.on(ui.text, "keydown", enterToSend(ui.text, () => this.current,
        (why) => this.showError(why), (text) => this.send(this.convs.get(this.current), text)));
      this.on(ui.text, "input", () => { if (ui.text.value) this.sendTyping(); });
      this.on(document, "visibilitychange", () => this.markRead(this.convs.get(this.current)));
      this.on(window, "focus", () => this.markRead(this.convs.get(this.current)));
      this.on(window, "hashchange", () => this.route());
    }

    // #/c/<key> opens that conversation; #<room>, the anonymous page's link to a public room, opens the room.
    route() {
      let hash;
      try {
        hash = decodeURIComponent(location.hash);
      } catch {
        return;     // a malformed address: stay where we are
      }
      const room = hash.startsWith(ROUTE_PREFIX) ? hash.slice(ROUTE_PREFIX.length)
        : ROOM_PATTERN.test(hash.slice(1)) ? hash.slice(1) : null;
      if (room && room !== this.current) this.open(room);
    }

    // ---- conversations over REST ---------------------------------------------------------------------------------

    async loadConversations() {
      let body;
      try {
        body = await this.api("GET", "/api/conversations");
      } catch (e) {
        if (!this.ended) this.setListNote(`Conversations could not be loaded: ${e.message}`);
        return;
      }
      if (this.ended) return;
      this.listLoaded = true;
      this.setListNote("");
      for (const entry of body.conversations || []) this.merge(entry);
      this.renderList();
    }

    // A conversation entry from the server. Its counts replace ours only while nothing else is filling in its events
    // (no subscription, no page of history on the way), so the events held stay one block without holes, and they
    // never move the place in the log back.
    merge(entry) {
      const conv = this.ensure(entry.room, entry.kind);
      conv.confirmed = true;
      conv.gone = false;
      if (entry.title !== undefined) conv.title = entry.title;
      if (Array.isArray(entry.members)) conv.members = entry.members;
      const last = entry.last_seq ?? 0;
      conv.readSeq = Math.max(conv.readSeq, entry.read_seq ?? 0);
      for (const r of entry.read_by ?? []) this.noteReadBy(conv, r.user, r.seq);
      if (conv.sub === "none" && conv.events.size === 0 && !conv.loadingOlder && (conv.seenSeq === null || last >= conv.seenSeq)) {
        conv.seenSeq = last;
        conv.unreadBase = entry.unread ?? 0;
        conv.unreadBaseUpTo = last;
        for (const seq of conv.unreadSeqs) if (seq <= last) conv.unreadSeqs.delete(seq);
        if (entry.last_event) conv.lastEvent = entry.last_event;
      }
      this.subscribe(conv);
      return conv;
    }

    ensure(room, kind) {
      let conv = this.convs.get(room);
      if (!conv) {
        conv = new Conversation(room, kind || kindOf(room));
        this.convs.set(room, conv);
      }
      return conv;
    }

    // The next older page of the conversation's history, above what is shown. The first page of a conversation that
    // is not yet known also checks access: 404 for a non-member, whether or not it exists.
    loadOlder(conv) {
      if (!conv || conv.historyDone || conv.loadingOlder || conv.gone) return conv?.loadingOlder;
      conv.loadingOlder = (async () => {
        try {
          // Without "before", the newest page: where the log stands is then learned from its last_seq.
          const before = conv.events.size > 0 ? Math.min(...conv.events.keys()) : conv.seenSeq === null ? null : conv.seenSeq + 1;
          if (before !== null && before <= 1) {
            conv.historyDone = true;
            return;
          }
          const query = before === null ? `limit=${PAGE_SIZE}` : `before=${before}&limit=${PAGE_SIZE}`;
          const page = await this.api("GET", `/api/conversations/${enc(conv.room)}/events?${query}`);
          conv.confirmed = true;
          if (conv.seenSeq === null) conv.seenSeq = page.last_seq ?? 0;
          const events = (page.events || []).filter((e) => before === null || e.seq < before).sort((a, b) => a.seq - b.seq);
          for (const e of events) conv.events.set(e.seq, e);
          if (events.length < PAGE_SIZE || events[0].seq <= 1) conv.historyDone = true;
          if (!conv.lastEvent && events.length > 0) conv.lastEvent = events[events.length - 1];
          if (conv.room === this.current) this.prependEvents(conv, events);
        } catch (e) {
          if (e.status === 404) {
            this.forget(conv, "No such conversation, or you are not one of its members.");
          } else if (conv.room === this.current) {
            this.showError(`History could not be loaded: ${e.message}`);
          }
        } finally {
          conv.loadingOlder = null;
          if (conv.room === this.current) this.ui.older.hidden = conv.historyDone;
        }
      })();
      return conv.loadingOlder;
    }

    // A conversation the server says this account cannot open.
    forget(conv, why) {
      conv.gone = true;
      conv.sub = "none";
      if (!conv.confirmed) {
        this.convs.delete(conv.room);
        this.listItems.get(conv.room)?.remove();
        this.listItems.delete(conv.room);
      }
      if (conv.room === this.current) {
        this.ui.log.replaceChildren();
        this.ui.pending.replaceChildren();
        this.ui.compose.hidden = true;
        this.ui.older.hidden = true;
        this.renderHead(conv);
        this.showError(why);
      }
      this.renderList();
    }

    async createGroup() {
      const ui = this.ui;
      const title = ui.groupTitle.value.trim();
      const members = ui.groupMembers.value.split(/[\s,]+/).filter(Boolean);
      const wrong = members.find((m) => !NAME_PATTERN.test(m));
      if (!title || members.length === 0 || wrong) {
        ui.groupError.textContent = wrong ? `"${wrong}" is not an account name.` : "Give a title and at least one member.";
        return;
      }
      try {
        const entry = await this.api("POST", "/api/groups", { body: { title, members } });
        if (this.ended) return;
        ui.groupDialog.close();
        ui.groupForm.reset();
        this.merge(entry);
        this.renderList();
        this.open(entry.room);
      } catch (e) {
        ui.groupError.textContent = e.message;
      }
    }

    // The member_added event reaches every member's sockets, this page's too; the new member is told with a
    // "conversation" frame.
    async addMember(conv, name) {
      if (!conv || conv.kind !== "group") return;
      if (!NAME_PATTERN.test(name)) {
        this.showError(`"${name}" is not an account name.`);
        return;
      }
      try {
        await this.api("POST", `/api/groups/${enc(conv.room.slice("group:".length))}/members`, { body: { name } });
        this.ui.addMemberName.value = "";
        this.showError("");
      } catch (e) {
        this.showError(e.message);
      }
    }

    // Removing oneself: the server ends this account's subscriptions after the member_removed event.
    async leaveGroup(conv) {
      if (!conv || conv.kind !== "group" || conv.gone) return;
      try {
        await this.api("DELETE", `/api/groups/${enc(conv.room.slice("group:".length))}/members/${enc(this.me)}`);
      } catch (e) {
        this.showError(e.message);
      }
    }

    async loadUsers() {
      const query = this.ui.userSearch.value.trim();
      let body;
      try {
        body = await this.api("GET", `/api/users?query=${enc(query)}&limit=20`);
      } catch {
        return;     // the directory is a convenience; the next refresh tries again
      }
      if (this.ended || query !== this.ui.userSearch.value.trim()) return;
      this.ui.users.replaceChildren(...(body.users || []).filter((u) => !sameName(u.name, this.me)).map((u) => {
        const li = el("li", u.online ? "online" : "offline");
        li.dataset.user = u.name;
        li.tabIndex = 0;
        li.title = `${u.online ? "Online" : "Offline"}: start a conversation with ${u.name}`;
        li.append(el("span", "dot"), el("span", "name", u.name));
        return li;
      }));
    }

    // ---- the socket ----------------------------------------------------------------------------------------------

    connect() {
      if (this.ended) return;
      this.clearReconnect();
      this.setStatus("connecting", this.everOpened ? "reconnecting…" : "connecting…");
      let socket;
      try {
        socket = new WebSocket(`${serverBase()}/ws?access_token=${enc(this.token)}`);
      } catch (e) {
        this.scheduleReconnect(` (${e.message})`);
        return;
      }
      this.socket = socket;
      socket.opened = false;
      socket.onopen = () => this.onOpen(socket);
      socket.onmessage = (m) => this.onFrame(socket, m.data);
      socket.onclose = (e) => this.onClose(socket, e);
    }

    onOpen(socket) {
      if (socket !== this.socket) return;
      socket.opened = true;
      this.clearReconnect();
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.backoff.reset();
      this.setStatus("open", "connected");
      this.ui.banner.hidden = true;
      for (const conv of this.convs.values()) {
        conv.sub = "none";
        conv.resumeAsked = false;
        conv.readSent = conv.readSeq;
        this.subscribe(conv);
      }
      // Conversations announced while the socket was down were missed: the list has them.
      if (reconnected || !this.listLoaded) this.loadConversations();
    }

    onClose(socket, event) {
      if (socket !== this.socket) return;
      this.socket = null;
      this.pacer.clear();
      for (const conv of this.convs.values()) {
        conv.sub = "none";
        for (const p of conv.pending.values()) {
          if (awaitsAck(p)) { p.state = "queued"; p.label = "will be sent when reconnected"; }
        }
      }
      this.renderPending();
      if (event.code === SIGNED_OUT_CLOSE_CODE) {
        this.end(event.reason === "session expired" ? "Your session has expired. Sign in again." : "You were signed out.");
        return;
      }
      this.setStatus("closed", "disconnected");
      // A refused upgrade looks like any lost connection; /api/me tells whether the token is still good (a 401 ends it).
      if (!socket.opened) this.api("GET", "/api/me").catch(() => {});
      const why = this.serverRestarting ? " (the server is restarting)"
        : closeReason(event);
      this.serverRestarting = false;
      this.scheduleReconnect(why);
    }

    scheduleReconnect(why) {
      if (this.ended) return;
      const delay = this.backoff.next();
      const at = Date.now() + delay;
      this.reconnectTimer = this.later(delay, () => this.connect());
      const tick = () => {
        const seconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
        this.ui.bannerText.textContent = reconnectBannerText(why, seconds);
        this.ui.banner.hidden = false;
      };
      tick();
      this.bannerTimer = setInterval(tick, 500);
      this.timers.add(this.bannerTimer);
    }

    clearReconnect() {
      for (const t of [this.reconnectTimer, this.bannerTimer]) {
        clearTimeout(t);
        clearInterval(t);
        this.timers.delete(t);
      }
    }

    reconnectNow() {
      if (this.socket || this.ended) return;
      this.backoff.reset();
      this.connect();
    }

    isOpen() {
      return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
    }

    sendFrame(frame) {
      if (this.isOpen()) this.pacer.send(frame);
    }

    // A conversation whose place in the log is unknown and that nobody has confirmed (typed into the address bar) is
    // subscribed only after its first page of history, which is also the access check.
    subscribe(conv) {
      if (!this.isOpen() || conv.sub !== "none" || conv.gone) return;
      if (!conv.confirmed && conv.seenSeq === null && conv.kind !== "public") return;
      conv.sub = "pending";
      const frame = { action: "subscribe", room: conv.room };
      if (conv.seenSeq !== null) frame.after = conv.seenSeq;
      this.sendFrame(frame);
    }

    onFrame(socket, data) {
      if (socket !== this.socket) return;
      const f = parseFrame(data);
      switch (f?.action) {
        case "join":
        case "message":
        case "exit":
        case "member_added":
        case "member_removed":
          this.onEvent(f);
          break;
        case "ack":
          this.onAck(f);
          break;
        case "subscribed":
          this.onSubscribed(f);
          break;
        case "unsubscribed":
          this.onUnsubscribed(f);
          break;
        case "read":
          this.onRead(f);
          break;
        case "typing":
          this.onTyping(f);
          break;
        case "conversation":
          this.onConversation(f);
          break;
        case "error":
          this.onError(f);
          break;
        case "reconnect":
          // The node is draining: the close follows, and the next connection lands on another node.
          this.serverRestarting = true;
          break;
        default:
          break;
      }
    }

    onEvent(e) {
      const conv = this.convs.get(e.room);
      if (!conv || typeof e.seq !== "number") return;
      if (conv.seenSeq !== null && e.seq <= conv.seenSeq) return;     // already have it
      if (conv.seenSeq !== null && e.seq > conv.seenSeq + 1) {
        // A hole: ask for everything after the last seq we have; the replay brings this event too.
        if (!conv.resumeAsked) {
          conv.resumeAsked = true;
          this.sendFrame({ action: "resume", room: conv.room, after: conv.seenSeq });
        }
        return;
      }
      conv.resumeAsked = false;
      conv.seenSeq = e.seq;
      conv.confirmed = true;
      conv.events.set(e.seq, e);
      conv.lastEvent = e;
      if (e.action === "message" && !sameName(e.user, this.me) && e.seq > conv.readSeq && e.seq > conv.unreadBaseUpTo) {
        conv.unreadSeqs.add(e.seq);
      }
      if (e.action === "member_added" && e.member && !conv.members.some((m) => sameName(m, e.member))) {
        conv.members = [...conv.members, e.member];
      }
      if (e.action === "member_removed" && e.member) conv.members = conv.members.filter((m) => !sameName(m, e.member));
      const mine = e.action === "message" && e.id && conv.pending.get(e.id);
      if (mine) conv.pending.delete(e.id);
      if (conv.room === this.current) {
        this.appendEvent(conv, e);
        if (mine) this.renderPending();
        if (e.action === "message") this.typists.stop(e.user);
        if (e.action.startsWith("member_")) this.renderHead(conv);
        this.markRead(conv);
      }
      this.renderItem(conv);
      this.sortList();
    }

    onAck(a) {
      const conv = this.convs.get(a.room);
      const p = conv?.pending.get(a.id);
      if (!p) return;
      p.seq = a.seq;
      if (conv.seenSeq !== null && a.seq <= conv.seenSeq) conv.pending.delete(a.id);   // its event is already here
      else { p.state = "stored"; p.label = "stored"; }
      if (conv.room === this.current) this.renderPending();
    }

    onSubscribed(f) {
      const conv = this.convs.get(f.room);
      if (!conv) return;
      conv.sub = "live";
      conv.confirmed = true;
      if (conv.seenSeq === null) conv.seenSeq = f.last_seq ?? 0;
      this.renderItem(conv);
      // Messages typed while the conversation was not followed go now, each with its id.
      for (const [id, p] of conv.pending) if (awaitsAck(p)) this.transmit(conv, id);
      this.markRead(conv);
    }

    onUnsubscribed(f) {
      const conv = this.convs.get(f.room);
      if (!conv) return;
      conv.sub = "none";
      if (conv.resubscribe) {
        // The server could not replay the history; try again a little later from where we are.
        conv.resubscribe = false;
        this.later(1000, () => this.subscribe(conv));
        return;
      }
      // Removed from a group (or left it from another tab): its history stays readable here until reload.
      conv.gone = true;
      if (conv.room === this.current) {
        this.ui.compose.hidden = true;
        this.renderHead(conv);
        this.showError("You are no longer a member of this conversation.");
      }
      this.renderItem(conv);
    }

    onRead(r) {
      const conv = this.convs.get(r.room);
      if (!conv || typeof r.seq !== "number") return;
      if (sameName(r.user, this.me)) {
        conv.readSeq = Math.max(conv.readSeq, r.seq);
        conv.readSent = Math.max(conv.readSent, r.seq);
        // The server's count is of messages up to unreadBaseUpTo; a marker below that leaves an unknown part of it.
        if (r.seq >= conv.unreadBaseUpTo) conv.unreadBase = 0;
        for (const seq of conv.unreadSeqs) if (seq <= r.seq) conv.unreadSeqs.delete(seq);
        this.renderItem(conv);
        return;
      }
      this.noteReadBy(conv, r.user, r.seq);
      if (conv.room === this.current) this.renderSeen(conv);
    }

    // Another member's read marker, from a read frame or the conversation list; markers never move back.
    noteReadBy(conv, user, seq) {
      const key = user.toLowerCase();
      const before = conv.readBy.get(key);
      if (!before || seq > before.seq) conv.readBy.set(key, { name: user, seq });
    }

    onTyping(f) {
      if (f.room !== this.current || !f.user || sameName(f.user, this.me)) return;
      this.typists.show(f.user);
    }

    // Someone started a direct conversation with us or added us to a group. The list says where its log stands and
    // what is unread.
    async onConversation(f) {
      const conv = this.ensure(f.room, f.kind);
      conv.confirmed = true;
      conv.gone = false;
      conv.title = f.title ?? conv.title;
      if (Array.isArray(f.members)) conv.members = f.members;
      this.renderList();
      if (conv.room === this.current) this.renderHead(conv);
      if (conv.sub !== "none") return;
      await this.loadConversations();
      if (this.ended) return;
      // Not in the list (it could not be read): a new conversation is short, replay it from its start.
      if (conv.seenSeq === null && conv.sub === "none") conv.seenSeq = 0;
      this.subscribe(conv);
    }

    onError(err) {
      const conv = err.room ? this.convs.get(err.room) : null;
      if (err.id && conv?.pending.has(err.id)) {
        const p = conv.pending.get(err.id);
        if (err.retryable) {
          p.state = "retrying"; p.label = "retrying…";
          this.later(1000, () => { if (conv.pending.has(err.id) && conv.sub === "live") this.transmit(conv, err.id); });
        } else if (err.code === "not_subscribed") {
          p.state = "queued"; p.label = "will be sent when the conversation is open again";
          conv.sub = "none";
          this.subscribe(conv);
        } else {
          p.state = "failed"; p.label = `not sent: ${err.message}`;
        }
        if (conv.room === this.current) this.renderPending();
        return;
      }
      switch (err.code) {
        case "rate_limited":
          // The dropped frame carries no id; the overdue check resends whatever was not acknowledged.
          return;
        case "not_found":
          if (conv) this.forget(conv, "No such conversation, or you are not one of its members.");
          return;
        case "replay_failed":
          if (conv) conv.resubscribe = true;     // "unsubscribed" follows
          return;
        case "not_subscribed":
          if (conv) { conv.sub = "none"; this.subscribe(conv); }
          return;
        case "unavailable":
          if (conv) conv.readSent = conv.readSeq;    // a read marker that was not stored goes again
          if (conv && conv.sub === "pending") { conv.sub = "none"; this.later(1000, () => this.subscribe(conv)); }
          return;
        default:
          if (!conv || conv.room === this.current) this.showError(err.message || err.code || "error");
      }
    }

    // ---- actions -------------------------------------------------------------------------------------------------

    // Shows a conversation, loading its latest history when this page has none yet.
    async open(room, { members } = {}) {
      const kind = kindOf(room);
      if (!kind) {
        this.showConversation(null);
        this.showError("That is not a conversation address.");
        return;
      }
      let conv = this.convs.get(room);
      if (!conv) {
        conv = this.ensure(room, kind);
        if (members) conv.members = members;
      }
      conv.gone = conv.gone && conv.confirmed;
      this.showConversation(conv);
      if (conv.events.size < PAGE_SIZE && !conv.historyDone) await this.loadOlder(conv);
      if (this.ended || conv.gone) return;
      if (!this.listItems.has(conv.room)) this.renderList();
      this.subscribe(conv);
      this.markRead(conv);
    }

    send(conv, text) {
      if (!conv || conv.gone) return;
      // The message ends the typing notice on the other pages; the next keystroke announces typing again.
      this.lastTypingSent = 0;
      const id = newId();
      conv.pending.set(id, { text, state: "sending", label: "sending…" });
      if (conv.sub === "live") this.transmit(conv, id);
      else {
        const p = conv.pending.get(id);
        p.state = "queued";
        p.label = "will be sent when connected";
        this.subscribe(conv);
      }
      this.renderPending();
      scrollToEnd(this.ui.logWrap);
    }

    transmit(conv, id) {
      const p = conv.pending.get(id);
      if (!p) return;
      p.sentAt = Date.now();
      if (p.state !== "sending") { p.state = "sending"; p.label = "sending…"; }
      this.sendFrame({ action: "message", room: conv.room, message: p.text, id });
      if (conv.room === this.current) this.renderPending();
    }

    resendOverdue() {
      if (!this.isOpen()) return;
      const now = Date.now();
      for (const conv of this.convs.values()) {
        if (conv.sub !== "live") continue;
        for (const [id, p] of conv.pending) {
          if (isOverdue(p, now)) this.transmit(conv, id);
        }
      }
    }

    sendTyping() {
      const conv = this.convs.get(this.current);
      const now = Date.now();
      if (!conv || conv.sub !== "live" || now - this.lastTypingSent < TYPING_SEND_INTERVAL_MS || !this.pacer.hasRoom()) return;
      this.lastTypingSent = now;
      this.sendFrame({ action: "typing", room: conv.room });
    }

    // Everything shown of the open conversation is read once the page is visible. Over the socket when it follows
    // the conversation, else over REST; the echo of the marker clears the badge in every tab of the account.
    markRead(conv) {
      if (!conv || conv.room !== this.current || document.visibilityState !== "visible" || conv.gone) return;
      const seq = conv.seenSeq;
      if (!seq || seq <= conv.readSent) return;
      if (conv.sub === "live") {
        this.sendFrame({ action: "read", room: conv.room, seq });
      } else if (this.isOpen() || !conv.confirmed) {
        return;     // being subscribed: onSubscribed marks it
      } else {
        this.api("PUT", `/api/conversations/${enc(conv.room)}/read`, { body: { seq } })
          .catch(() => { conv.readSent = Math.min(conv.readSent, conv.readSeq); });
      }
      // The badge clears now; readSeq moves when the server echoes the marker.
      conv.readSent = seq;
      conv.unreadBase = 0;
      conv.unreadSeqs.clear();
      this.renderItem(conv);
    }

    // ---- rendering -----------------------------------------------------------------------------------------------

    setStatus(state, text) {
      setStatus(this.ui.status, state, text);
    }

    setListNote(text) {
      this.ui.listNote.textContent = text;
    }

    showError(text) {
      this.ui.error.textContent = text;
    }

    sortedConversations() {
      const activity = (c) => (c.lastEvent?.ts ? Date.parse(c.lastEvent.ts) : 0);
      return [...this.convs.values()].filter((c) => c.confirmed).sort((a, b) => activity(b) - activity(a));
    }

    renderList() {
      const wanted = this.sortedConversations();
      for (const [room, li] of this.listItems) {
        if (!this.convs.get(room)?.confirmed) { li.remove(); this.listItems.delete(room); }
      }
      for (const conv of wanted) this.renderItem(conv);
      this.sortList();
    }

    // Reorders the existing items (newest activity first) without rebuilding them.
    sortList() {
      const order = this.sortedConversations().map((c) => this.listItems.get(c.room)).filter(Boolean);
      const current = [...this.ui.list.children];
      if (order.length === current.length && order.every((li, i) => li === current[i])) return;
      this.ui.list.append(...order);
    }

    renderItem(conv) {
      if (!conv.confirmed) return;
      let li = this.listItems.get(conv.room);
      if (!li) {
        li = el("li");
        li.dataset.room = conv.room;
        li.tabIndex = 0;
        li.append(el("span", "kind"), el("span", "title"), el("span", "badge"), el("span", "preview"));
        this.listItems.set(conv.room, li);
        this.ui.list.append(li);
      }
      const unread = conv.unread;
      li.dataset.kind = conv.kind;
      li.dataset.unread = String(unread);
      li.classList.toggle("current", conv.room === this.current);
      if (conv.room === this.current) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
      li.classList.toggle("gone", conv.gone);
      li.querySelector(".kind").textContent = conv.kind === "public" ? "#" : conv.kind === "group" ? "◆" : "@";
      li.querySelector(".title").textContent = conv.displayTitle(this.me).replace(/^#/, "");
      const badge = li.querySelector(".badge");
      badge.textContent = unread > 99 ? "99+" : String(unread);
      badge.hidden = unread === 0;
      const e = conv.lastEvent;
      li.querySelector(".preview").textContent = e?.action === "message" ? `${e.user}: ${e.text ?? ""}` : "";
    }

    showConversation(conv) {
      const ui = this.ui;
      this.typists.clear();
      ui.typing.textContent = "";
      ui.error.textContent = "";
      ui.log.replaceChildren();
      ui.pending.replaceChildren();
      const previous = this.current;
      this.current = conv ? conv.room : null;
      if (previous) { const old = this.convs.get(previous); if (old) this.renderItem(old); }
      ui.empty.hidden = conv !== null;
      ui.head.hidden = conv === null;
      ui.logWrap.hidden = conv === null;
      ui.compose.hidden = conv === null || conv.gone;
      if (!conv) {
        document.title = `StChat · ${this.me}`;
        return;
      }
      const hash = ROUTE_PREFIX + enc(conv.room);
      if (location.hash !== hash) history.replaceState(null, "", hash);
      this.renderHead(conv);
      const events = [...conv.events.values()].sort((a, b) => a.seq - b.seq);
      ui.log.append(...events.map((e) => this.eventNode(e)));
      ui.older.hidden = conv.historyDone;
      this.renderPending();
      this.renderSeen(conv);
      this.renderItem(conv);
      scrollToEnd(this.ui.logWrap);
      ui.text.focus();
    }

    renderHead(conv) {
      const title = conv.displayTitle(this.me);
      this.ui.title.textContent = title;
      document.title = `${title} · StChat`;
      this.ui.members.textContent = conv.kind === "public" ? "public room"
        : conv.members.length ? conv.members.join(", ") : "";
      for (const node of [this.ui.addMember, this.ui.leaveGroup]) node.hidden = conv.kind !== "group" || conv.gone;
    }

    eventNode(e) {
      const text = e.action === "message" ? undefined : {
        join: `${e.user} joined`,
        exit: `${e.user} left`,
        member_added: `${e.user} added ${e.member}`,
        member_removed: sameName(e.user, e.member) ? `${e.user} left` : `${e.user} removed ${e.member}`,
      }[e.action] ?? e.message;
      const node = eventNode(e, sameName(e.user, this.me), text);
      node.dataset.user = e.user;
      return node;
    }

    appendEvent(conv, e) {
      const atEnd = isAtEnd(this.ui.logWrap);
      this.ui.log.append(this.eventNode(e));
      this.renderSeen(conv);
      if (atEnd) scrollToEnd(this.ui.logWrap);
    }

    // Older events go above the ones shown; the view stays on what the reader was looking at.
    prependEvents(conv, events) {
      const wrap = this.ui.logWrap;
      const shown = new Set([...this.ui.log.querySelectorAll("li[data-seq]")].map((n) => Number(n.dataset.seq)));
      const nodes = events.filter((e) => !shown.has(e.seq)).map((e) => this.eventNode(e));
      if (nodes.length === 0) return;
      const firstShown = shown.size === 0;
      const height = wrap.scrollHeight;
      this.ui.log.prepend(...nodes);
      if (firstShown) scrollToEnd(wrap);
      else wrap.scrollTop += wrap.scrollHeight - height;
      this.renderSeen(conv);
    }

    renderPending() {
      const conv = this.convs.get(this.current);
      if (!conv) return;
      this.ui.pending.replaceChildren(...[...conv.pending].map(([id, p]) => {
        const node = pendingNode(id, this.me, p.text, p.label);
        node.classList.toggle("failed", p.state === "failed");
        node.dataset.state = p.state;
        return node;
      }));
    }

    // "Seen by Bob" under the last message Bob has read (of those he did not write himself), in a direct
    // conversation. Known from read frames received since this page connected: the conversation list carries only
    // this account's own marker.
    renderSeen(conv) {
      this.ui.log.querySelector("#seen")?.remove();
      if (conv.kind !== "direct") return;
      const other = conv.readBy.get(conv.otherKey(this.me));
      if (!other) return;
      const messages = [...this.ui.log.querySelectorAll("li.message[data-seq]")];
      const last = messages.filter((n) => Number(n.dataset.seq) <= other.seq && !sameName(n.dataset.user, other.name)).pop();
      if (!last) return;
      const seen = el("li", "seen", `Seen by ${other.name}`);
      seen.id = "seen";
      last.after(seen);
    }

  }

  StChat.Account = { AccountClient };
})();
