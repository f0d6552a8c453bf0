// The REST side of an account: requests with the session token, problem details as errors, and the session kept in
// localStorage, so that every tab of the browser is signed in as the same account (and signs out together).
"use strict";

(() => {
  const { httpBase } = StChat;

  const SESSION_KEY = "stchat.session";
  // The server's rule for account names (checked again there).
  const NAME_PATTERN = /^[A-Za-z0-9_.-]{2,32}$/;

  class ApiError extends Error {
    constructor(status, code, detail, retryAfter) {
      super(detail || `HTTP ${status}`);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  // fetch with the session token; problem details become ApiError. A 401 on a signed-in call means the session is
  // over (signed out elsewhere, expired): `onUnauthorized` ends it on this page too.
  async function request(method, path, { body, token, headers, onUnauthorized } = {}) {
    const init = { method, headers: { Accept: "application/json", ...headers } };
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(httpBase() + path, init);
    } catch (e) {
      throw new ApiError(0, "network", `The server cannot be reached (${e.message}).`);
    }
    const text = await response.text();
    let json = null;
    if (text) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    if (response.ok) return json;
    if (response.status === 401 && token && onUnauthorized) onUnauthorized();
    throw new ApiError(response.status, json?.code, json?.detail || json?.title || text.trim() || response.statusText,
      Number(response.headers.get("Retry-After")) || undefined);
  }

  // The session stored by a sign-in in any tab; null when there is none, or it has expired.
  function loadSession() {
    try {
      const s = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
      if (s && typeof s.token === "string" && typeof s.name === "string") {
        if (!s.expires_at || Date.parse(s.expires_at) > Date.now()) return s;
      }
    } catch {
      // Unreadable: treated as signed out.
    }
    localStorage.removeItem(SESSION_KEY);
    return null;
  }

  async function signIn(name, password) {
    const s = await request("POST", "/api/sessions", { body: { name, password } });
    const session = { token: s.token, name: s.name, expires_at: s.expires_at };
    localStorage.setItem(SESSION_KEY, JSON.stringify(session));
    return session;
  }

  async function signUp(name, password) {
    await request("POST", "/api/accounts", { body: { name, password } });
    return signIn(name, password);
  }

  // Ends the session on the server (its sockets close with 4001 everywhere) and forgets it here.
  async function signOut(token) {
    forgetSession(token);
    await request("DELETE", "/api/sessions/current", { token });
  }

  // Only the session that ended: another tab may have signed in again meanwhile.
  function forgetSession(token) {
    if (loadSession()?.token === token) localStorage.removeItem(SESSION_KEY);
  }

  StChat.Api = { ApiError, request, loadSession, signIn, signUp, signOut, forgetSession, SESSION_KEY, NAME_PATTERN };
})();
