// Conversation keys and what the signed-in page knows of one conversation.
"use strict";

(() => {
  // The server's rule for public room names (checked again there).
  const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

  const sameName = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

  // The key of the direct conversation of two accounts: dm:<a>:<b>, names lowercased and sorted.
  function directKey(a, b) {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()].sort();
    return `dm:${x}:${y}`;
  }

  // The kind of a conversation key, or null when it is none (checked again by the server).
  function kindOf(room) {
    if (ROOM_PATTERN.test(room)) return "public";
    if (/^dm:[a-z0-9_.-]{2,32}:[a-z0-9_.-]{2,32}$/.test(room)) return "direct";
    if (/^group:[0-9a-f]{20}$/.test(room)) return "group";
    return null;
  }

  // One conversation as this page knows it.
  class Conversation {
    constructor(room, kind) {
      this.room = room;
      this.kind = kind;
      this.title = null;
      this.members = [];
      this.lastEvent = null;
      // The last seq this page has, delivered in order; null until the server has told us where the log stands.
      this.seenSeq = null;
      this.events = new Map();          // seq -> event, a contiguous block ending at seenSeq
      this.historyDone = false;
      this.loadingOlder = null;
      // none | pending | live: the state of its subscription on the current socket.
      this.sub = "none";
      this.resubscribe = false;
      this.readSeq = 0;                 // this account's read marker
      this.readSent = 0;
      this.unreadBase = 0;              // the server's count, covering seqs up to unreadBaseUpTo
      this.unreadBaseUpTo = 0;
      this.unreadSeqs = new Set();      // messages by others after unreadBaseUpTo and after readSeq
      this.readBy = new Map();          // other account (lowercase) -> { name, seq }, from live read frames
      this.pending = new Map();         // id -> { text, state, label, sentAt, seq }
      this.resumeAsked = false;
      // Known to the server (listed, announced or subscribed), as opposed to typed into the address bar.
      this.confirmed = false;
      this.gone = false;
    }

    get unread() {
      return this.unreadBase + this.unreadSeqs.size;
    }

    displayTitle(me) {
      if (this.kind === "public") return `#${this.room}`;
      if (this.kind === "direct") {
        const other = this.members.find((m) => !sameName(m, me));
        return other || this.room.slice(3).split(":").find((n) => !sameName(n, me)) || this.room;
      }
      return this.title || this.members.filter((m) => !sameName(m, me)).join(", ") || "Group";
    }

    // The other account of a direct conversation, as a key (lowercase).
    otherKey(me) {
      return this.room.slice(3).split(":").find((n) => !sameName(n, me));
    }
  }

  StChat.Conversations = { Conversation, directKey, kindOf, sameName, ROOM_PATTERN };
})();
