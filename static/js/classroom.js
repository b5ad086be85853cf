/**
 * The live classroom on every page (server/routes/sessions.py).
 *
 * Lecturer: the header's "Class" button starts a session and shows its code, join link, QR
 * code and followers. From then on this tab sends its page (path and query, the personal
 * fields aside) whenever it changes, across pages, until "End". The lecturer token stays in
 * this tab's sessionStorage: it never reaches a student.
 *
 * Student: a page opened with `session=<code>` (the join link's redirect adds it) follows
 * the session's event stream and opens the lecturer's page whenever it changes, keeping its
 * own presenter, theme and embed choices. "Detach" explores alone; "Follow again" returns.
 */

const LECTURE_KEY = "unrolled-class"; // sessionStorage: {code, token, joinUrl} of this tab
const DETACHED_KEY = "unrolled-detached"; // sessionStorage: the code this tab detached from
const PERSONAL = ["present", "embed", "theme", "session"]; // never sent, never followed
const SYNC_MS = 200; // how often the lecturer's tab looks for a change of page
const FOLLOWERS_MS = 3000;

/** @typedef {{code: string, token: string, joinUrl: string}} Lecture */

/**
 * A query string without the personal fields, its fields sorted (to compare two pages).
 * @param {string} search
 */
function sharedQuery(search) {
  const params = new URLSearchParams(search);
  for (const name of PERSONAL) params.delete(name);
  params.sort();
  return params.toString();
}

/** @returns {Lecture | null} */
function storedLecture() {
  try {
    return JSON.parse(window.sessionStorage.getItem(LECTURE_KEY) ?? "null");
  } catch {
    return null;
  }
}

/**
 * @param {string} text
 * @param {string} [className]
 */
function span(text, className) {
  const node = document.createElement("span");
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

/** The lecturer's side: start, show, sync, end. */
class Lecturer {
  constructor() {
    this.button = /** @type {HTMLButtonElement} */ (document.getElementById("class-toggle"));
    this.panel = /** @type {HTMLElement} */ (document.getElementById("class-panel"));
    /** @type {Lecture | null} */
    this.lecture = storedLecture();
    this.sent = "";
    this.sending = false;
    /** @type {number[]} */
    this.timers = [];
    this.button.hidden = false;
    this.button.addEventListener("click", () => (this.lecture ? this.togglePanel() : this.start()));
    if (this.lecture) this.run();
  }

  async start() {
    this.button.disabled = true;
    try {
      const answer = await fetch("/api/sessions", { method: "POST" });
      const body = await answer.json();
      if (!answer.ok) throw new Error(body.detail?.[0]?.msg ?? answer.statusText);
      this.lecture = { code: body.code, token: body.lecturer_token, joinUrl: body.join_url };
      window.sessionStorage.setItem(LECTURE_KEY, JSON.stringify(this.lecture));
      this.panel.hidden = false;
      this.run();
    } catch (error) {
      this.showPanel([span(`Could not start a class session: ${error instanceof Error ? error.message : error}`)]);
    } finally {
      this.button.disabled = false;
    }
  }

  run() {
    const lecture = /** @type {Lecture} */ (this.lecture);
    this.button.setAttribute("aria-pressed", "true");
    this.button.textContent = `Class ${lecture.code}`;
    const qr = document.createElement("img");
    qr.src = `/api/sessions/${lecture.code}/qr.svg`;
    qr.alt = `QR code of ${lecture.joinUrl}`;
    qr.className = "class-qr";
    const link = document.createElement("a");
    link.href = lecture.joinUrl;
    link.textContent = lecture.joinUrl;
    this.followers = span("0 following", "class-followers");
    const end = document.createElement("button");
    end.type = "button";
    end.textContent = "End session";
    end.addEventListener("click", () => this.end());
    const code = span(lecture.code, "class-code");
    this.showPanel([qr, span("Join at "), link, span(" with the code "), code, this.followers, end]);
    this.timers = [
      window.setInterval(() => this.sync(), SYNC_MS),
      window.setInterval(() => this.countFollowers(), FOLLOWERS_MS),
    ];
    this.sync();
    this.countFollowers();
  }

  /** @param {Node[]} children */
  showPanel(children) {
    this.panel.replaceChildren(...children);
  }

  togglePanel() {
    this.panel.hidden = !this.panel.hidden;
  }

  headers() {
    return { Authorization: `Bearer ${this.lecture?.token}`, "Content-Type": "application/json" };
  }

  /** Send this page if it changed since the last one sent. */
  async sync() {
    if (!this.lecture || this.sending) return;
    const path = window.location.pathname;
    const query = sharedQuery(window.location.search);
    const page = `${path}?${query}`;
    if (page === this.sent) return;
    this.sending = true;
    try {
      const answer = await fetch(`/api/sessions/${this.lecture.code}/state`, {
        method: "PUT", headers: this.headers(), body: JSON.stringify({ path, query }),
      });
      if (answer.status === 404 || answer.status === 403) this.forget("The class session has ended.");
      else if (answer.ok) this.sent = page;
    } catch {
      // The network dropped for a moment: the next tick sends the page again.
    } finally {
      this.sending = false;
    }
  }

  async countFollowers() {
    if (!this.lecture || !this.followers) return;
    const answer = await fetch(`/api/sessions/${this.lecture.code}`).catch(() => null);
    if (!answer) return; // the network dropped for a moment: count again next time
    if (answer.status === 404) return this.forget("The class session has ended (idle too long).");
    if (answer.ok) {
      const { followers } = await answer.json();
      this.followers.textContent = `${followers} following`;
      document.body.dataset.classFollowers = String(followers);
    }
  }

  async end() {
    if (!this.lecture) return;
    await fetch(`/api/sessions/${this.lecture.code}`, { method: "DELETE", headers: this.headers() });
    this.forget("Class session ended.");
  }

  /** @param {string} message */
  forget(message) {
    for (const timer of this.timers) window.clearInterval(timer);
    this.timers = [];
    window.sessionStorage.removeItem(LECTURE_KEY);
    this.lecture = null;
    this.button.setAttribute("aria-pressed", "false");
    this.button.textContent = "Class";
    this.showPanel([span(message)]);
  }
}

/** The student's side: follow, detach, follow again. */
class Follower {
  /** @param {string} code */
  constructor(code) {
    this.code = code;
    this.bar = /** @type {HTMLElement} */ (document.getElementById("follow-bar"));
    this.bar.hidden = false;
    /** @type {EventSource | null} */
    this.source = null;
    if (window.sessionStorage.getItem(DETACHED_KEY) === code) this.detach();
    else this.follow();
  }

  follow() {
    window.sessionStorage.removeItem(DETACHED_KEY);
    this.show("following", `Following the lecturer (session ${this.code})`, "Detach", () => this.detach());
    this.source = new EventSource(`/api/sessions/${this.code}/events`);
    this.source.addEventListener("state", (event) => this.open(JSON.parse(event.data)));
    this.source.addEventListener("end", () => this.ended());
    // EventSource reconnects by itself after a dropped connection; it gives up (CLOSED) only
    // when the server refuses, e.g. 404 once the session is gone.
    this.source.addEventListener("error", () => {
      if (this.source?.readyState === EventSource.CLOSED) this.ended();
    });
  }

  detach() {
    this.source?.close();
    this.source = null;
    window.sessionStorage.setItem(DETACHED_KEY, this.code);
    this.show("detached", `Exploring on your own (session ${this.code})`, "Follow again", () => this.follow());
  }

  ended() {
    this.source?.close();
    this.source = null;
    this.show("ended", "The class session has ended", null, null);
    const params = new URLSearchParams(window.location.search);
    params.delete("session");
    const query = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
  }

  /**
   * Open the lecturer's page, keeping this student's own presenter, theme and embed choices.
   * @param {{path: string, query: string}} state
   */
  open(state) {
    if (state.path === window.location.pathname && sharedQuery(state.query) === sharedQuery(window.location.search)) {
      return;
    }
    const params = new URLSearchParams(state.query);
    const own = new URLSearchParams(window.location.search);
    for (const name of PERSONAL) {
      params.delete(name);
      const value = own.get(name);
      if (value !== null) params.set(name, value);
    }
    window.location.replace(`${state.path}?${params}`);
  }

  /**
   * @param {string} mode
   * @param {string} text
   * @param {string | null} action
   * @param {(() => void) | null} onAction
   */
  show(mode, text, action, onAction) {
    document.body.dataset.follow = mode;
    const children = [span(text)];
    if (action && onAction) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action;
      button.addEventListener("click", onAction);
      children.push(button);
    }
    this.bar.replaceChildren(...children);
  }
}

const joined = new URLSearchParams(window.location.search).get("session");
const lecture = storedLecture();
if (document.getElementById("class-toggle")) {
  if (joined && lecture?.code !== joined.toUpperCase()) new Follower(joined.toUpperCase());
  else new Lecturer();
}
