/**
 * The lecturer's side of a live class (see classroom.js): start the session, show how to
 * join, send this page as it changes (sharing a model kept in this browser), open story
 * questions as polls, count and reveal them, end.
 */
import { storedModelJson } from "../handoff.js";
import { answerJson, connect, pollChanged, sharedQuery, span } from "./link.js";

const LECTURE_KEY = "unrolled-class"; // sessionStorage: {code, token, joinUrl} of this tab
const SYNC_MS = 200; // how often the lecturer's tab looks for a change of page
const FOLLOWERS_MS = 3000;
const TALLY_MS = 1000; // how often the lecturer's tab counts an open poll's answers

/** @typedef {{code: string, token: string, joinUrl: string}} Lecture */

/** @returns {Lecture | null} this tab's session, if it started one */
export function storedLecture() {
  try {
    return JSON.parse(window.sessionStorage.getItem(LECTURE_KEY) ?? "null");
  } catch {
    return null;
  }
}

/** The lecturer's side: start, show, sync, end. */
export class Lecturer {
  constructor() {
    this.button = /** @type {HTMLButtonElement} */ (document.getElementById("class-toggle"));
    this.panel = /** @type {HTMLElement} */ (document.getElementById("class-panel"));
    /** @type {Lecture | null} */
    this.lecture = storedLecture();
    this.sent = "";
    this.sending = false;
    /** @type {number[]} */
    this.timers = [];
    /** @type {{json: string, digest: string} | null} the model last shared */
    this.shared = null;
    /** @type {string | null} the open poll whose answers are counted */
    this.counting = null;
    this.button.hidden = false;
    this.button.addEventListener("click", () => (this.lecture ? this.togglePanel() : this.start()));
    if (this.lecture) this.run();
  }

  async start() {
    this.button.disabled = true;
    try {
      const body = await fetch("/api/sessions", { method: "POST" }).then(answerJson);
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
      window.setInterval(() => this.countAnswers(), TALLY_MS),
    ];
    this.sync();
    this.countFollowers();
    connect({
      role: "lecturer",
      ask: (id, question) => this.ask(id, question),
      answer: async () => false, // the lecturer reveals; students answer
      reveal: (id) => this.reveal(id),
    });
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

  /** Send this page if it changed since the last one sent (sharing its model first). */
  async sync() {
    if (!this.lecture || this.sending) return;
    const path = window.location.pathname;
    const query = sharedQuery(window.location.search);
    const json = storedModelJson(new URLSearchParams(query).get("model") ?? "");
    const page = `${path}?${query}`;
    if (page === this.sent && (json === null || json === this.shared?.json)) return;
    this.sending = true;
    try {
      /** @type {{path: string, query: string, shared_model?: string}} */
      const state = { path, query };
      if (json !== null) state.shared_model = await this.share(json);
      const answer = await fetch(`/api/sessions/${this.lecture.code}/state`, {
        method: "PUT", headers: this.headers(), body: JSON.stringify(state),
      });
      if (answer.status === 404 || answer.status === 403) this.forget("The class session has ended.");
      else if (answer.ok) this.sent = page;
    } catch {
      // The network dropped for a moment: the next tick sends the page again.
    } finally {
      this.sending = false;
    }
  }

  /**
   * Share a model kept in this browser with the session; its digest.
   * @param {string} json
   */
  async share(json) {
    if (this.shared?.json === json) return this.shared.digest;
    const lecture = /** @type {Lecture} */ (this.lecture);
    const answer = await fetch(`/api/sessions/${lecture.code}/models`, { method: "POST", headers: this.headers(), body: json });
    try {
      const { digest } = await answerJson(answer);
      this.shared = { json, digest };
      return digest;
    } catch (error) {
      this.shared = { json, digest: "" }; // not again for this model: say so once
      this.panel.hidden = false;
      this.panel.append(span(`This model is not shared with the class: ${error instanceof Error ? error.message : error}`));
      return undefined;
    }
  }

  /**
   * Open a story question as the class's poll.
   * @param {string} id
   * @param {import("../story.js").Question} question
   */
  async ask(id, question) {
    if (!this.lecture) return;
    const { prompt, choices, answer, explain } = question;
    try {
      const opened = await fetch(`/api/sessions/${this.lecture.code}/polls`, {
        method: "POST", headers: this.headers(), body: JSON.stringify({ id, prompt, choices, answer, explain }),
      }).then(answerJson);
      this.counting = opened.revealed ? null : id;
      pollChanged(opened);
    } catch {
      // The network dropped or the session ended: the next sync says which.
    }
  }

  /** Count the open poll's answers (the class sees them at the reveal). */
  async countAnswers() {
    if (!this.lecture || !this.counting) return;
    const id = this.counting;
    const answer = await fetch(`/api/sessions/${this.lecture.code}/polls/${id}`, { headers: this.headers() }).catch(() => null);
    if (answer?.ok && this.counting === id) pollChanged(await answer.json());
  }

  /** @param {string} id */
  async reveal(id) {
    if (!this.lecture) return;
    const answer = await fetch(`/api/sessions/${this.lecture.code}/polls/${id}/reveal`, { method: "POST", headers: this.headers() }).catch(() => null);
    if (!answer?.ok) return;
    if (this.counting === id) this.counting = null;
    pollChanged(await answer.json());
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
    this.counting = null;
    connect(null);
    this.button.setAttribute("aria-pressed", "false");
    this.button.textContent = "Class";
    this.showPanel([span(message)]);
  }
}
