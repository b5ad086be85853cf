/**
 * A student's side of a live class (see classroom.js): follow the lecturer's page (in place
 * when it is this page), fetch a shared model, answer polls, detach, follow again.
 */
import { storedModelJson, storeModelJson } from "../handoff.js";
import { PERSONAL, connect, currentPlayer, pollChanged, sharedQuery, span } from "./link.js";

const DETACHED_KEY = "unrolled-detached"; // sessionStorage: the code this tab detached from
const VOTER_KEY = "unrolled-voter"; // localStorage: this browser's anonymous poll id
const SHARED_KEY = "unrolled-shared:"; // localStorage: + model=, the digest of the shared one kept

/** This browser's anonymous id for polls (made once; not randomUUID, which needs https). */
function voterId() {
  let voter = window.localStorage.getItem(VOTER_KEY);
  if (!voter) {
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    voter = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    window.localStorage.setItem(VOTER_KEY, voter);
  }
  return voter;
}

/** The student's side: follow, detach, follow again. */
export class Follower {
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
    connect({ role: "student", ask: () => {}, answer: (id, choice) => this.answer(id, choice), reveal: () => {} });
    this.source = new EventSource(`/api/sessions/${this.code}/events`);
    this.source.addEventListener("state", (event) => this.open(JSON.parse(event.data)));
    this.source.addEventListener("poll", (event) => pollChanged(JSON.parse(event.data)));
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
    connect(null);
    window.sessionStorage.setItem(DETACHED_KEY, this.code);
    this.show("detached", `Exploring on your own (session ${this.code})`, "Follow again", () => this.follow());
  }

  ended() {
    this.source?.close();
    this.source = null;
    connect(null);
    this.show("ended", "The class session has ended", null, null);
    const params = new URLSearchParams(window.location.search);
    params.delete("session");
    const query = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
  }

  /**
   * Send this browser's answer to a poll (a later one replaces it); whether it was taken.
   * @param {string} id
   * @param {number} choice
   */
  async answer(id, choice) {
    const url = `/api/sessions/${this.code}/polls/${id}/answers/${voterId()}`;
    const sent = await fetch(url, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ choice }),
    }).catch(() => null);
    return sent?.ok ?? false;
  }

  /**
   * Show the lecturer's page: in place when it is this page (the story player applies it),
   * else by opening it, keeping this student's own presenter, theme and embed choices.
   * @param {{path: string, query: string, shared_model?: string}} state
   */
  async open(state) {
    const fetched = await this.fetchShared(state);
    const here = state.path === window.location.pathname;
    if (here && !fetched && sharedQuery(state.query) === sharedQuery(window.location.search)) return;
    const player = currentPlayer();
    if (here && player) {
      await player.follow(new URLSearchParams(state.query));
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
   * Keep the model the lecturer shares (`model=local:<name>`) under its name in this
   * browser, unless it is kept already; true when it was fetched.
   * @param {{query: string, shared_model?: string}} state
   */
  async fetchShared(state) {
    const model = new URLSearchParams(state.query).get("model") ?? "";
    if (!state.shared_model || !model.startsWith("local:")) return false;
    const kept = `${SHARED_KEY}${model}`;
    if (storedModelJson(model) !== null && window.localStorage.getItem(kept) === state.shared_model) return false;
    const answer = await fetch(`/api/sessions/${this.code}/models/${state.shared_model}`).catch(() => null);
    if (!answer?.ok) return false;
    storeModelJson(model, await answer.text());
    window.localStorage.setItem(kept, state.shared_model);
    return true;
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
