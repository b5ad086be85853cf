/**
 * Guided stories: a page's lecture as a sequence of scenes. Each scene is one sentence of
 * narration, the complete state it sets (every control it depends on, so the order scenes are
 * shown in never leaks state), what it highlights, and optionally a question the class answers
 * before the reveal (predict, then see): its answer and explanation stay hidden until a choice
 * is made. Story and scene live in the URL (`story=`, `scene=` counted from 1), so a link
 * opens the lecture where it was.
 *
 * In a live class (classroom.js) a question is a poll: the lecturer's scene opens it, students
 * answer on their own screens, the lecturer sees the count and reveals (question.js draws
 * each side). A student's page follows the lecturer's in place (`follow`).
 *
 * Keys while a story runs: PageDown / PageUp (what a presenter's clicker sends) the next and
 * the previous scene, 1-9 a question's choices; outside a story they are the page's own.
 * Test hooks: `body[data-story]`, `body[data-scene]` (1-based), `body[data-story-ready]`
 * ("true" once a scene's state is shown).
 */
import { joinClass } from "./class/link.js";
import { el } from "./dom.js";
import { setQueryField, typingOrModified } from "./present.js";
import { drawQuestion } from "./question.js";

/**
 * @typedef {{prompt: string, choices: string[], answer: number, explain: string}} Question
 *   `answer` indexes `choices`
 * @typedef {Record<string, string | number>} SceneState a page's URL fields
 * @typedef {{narration: string, state: SceneState, highlight?: string, question?: Question}} Scene
 *   `highlight` a CSS selector
 * @typedef {{id: string, title: string, scenes: Scene[]}} Story
 * @typedef {(state: SceneState) => void | Promise<void>} ApplyScene shows a scene's state
 *   (the page's defaults with the scene's fields over them)
 * @typedef {{read: (params: URLSearchParams) => SceneState}} PageState the page's UrlState
 * @typedef {{id: string, revealed: boolean, counts?: number[] | null}} PollView a class poll
 */

const HIGHLIGHT = "story-highlight";
/** ms after a scene is shown during which a change of layout brings its subject back into view */
const LAYOUT_SETTLE_MS = 1500;

export class StoryPlayer {
  /**
   * @param {HTMLElement} container where the story picker and the scene bar are drawn
   * @param {Story[]} stories
   * @param {ApplyScene} apply
   * @param {PageState} pageState reads a followed lecturer's query as a complete state
   */
  constructor(container, stories, apply, pageState) {
    this.stories = stories;
    this.apply = apply;
    this.pageState = pageState;
    /** @type {import("./class/link.js").ClassLink | null} the live class, if any */
    this.link = null;
    /** @type {Map<string, PollView>} class polls by id, as last heard of */
    this.polls = new Map();
    /** @type {Map<string, number>} this student's answer per poll */
    this.answers = new Map();
    /** @type {Set<string>} polls whose last answer the server did not take */
    this.unsent = new Set();
    /** @type {Story | null} */
    this.story = null;
    this.scene = 0;
    /** @type {Map<string, number>} the choice made per "story/scene" */
    this.choices = new Map();
    this.token = 0;
    container.classList.add("story");
    this.picker = el("div", { class: "story-picker", role: "group", "aria-label": "Lecture stories" });
    this.picker.append(el("span", { class: "story-label" }, "Lecture:"));
    for (const story of stories) {
      const button = el("button", { type: "button", "data-story": story.id }, `▶ ${story.title}`);
      button.addEventListener("click", () => this.show(story, 0));
      this.picker.append(button);
    }
    this.bar = el("section", { class: "story-bar", "aria-label": "Story", hidden: "" });
    /** @type {ResizeObserver | null} keeps the scene's subject in view while the layout settles */
    this.layoutWatch = null;
    this.heading = el("h2", { class: "story-title" });
    this.counter = el("span", { class: "story-counter" });
    this.narration = el("p", { class: "story-narration", "aria-live": "polite" });
    this.question = el("div", { class: "story-question" });
    this.previous = el("button", { type: "button", "aria-keyshortcuts": "PageUp" }, "◀ Previous");
    this.next = el("button", { type: "button", class: "primary", "aria-keyshortcuts": "PageDown" }, "Next ▶");
    const leave = el("button", { type: "button", class: "link-button" }, "Leave the story");
    this.previous.addEventListener("click", () => this.move(-1));
    this.next.addEventListener("click", () => this.move(1));
    leave.addEventListener("click", () => this.leave());
    const nav = el("div", { class: "story-nav" });
    nav.append(this.previous, this.counter, this.next, leave);
    const head = el("div", { class: "story-head" });
    head.append(this.heading, nav);
    this.bar.append(head, this.narration, this.question);
    container.append(this.picker, this.bar);
    // Capture: a story's PageDown moves the scene before the page's own step keys see it.
    window.addEventListener("keydown", (event) => this.onKey(event), true);
    joinClass(this);
  }

  /** Open the story and scene the URL names (call once the page can show a state). */
  resume() {
    const params = new URLSearchParams(window.location.search);
    const story = this.stories.find((s) => s.id === params.get("story"));
    if (story) this.show(story, sceneIndex(story, params));
  }

  /**
   * Show a scene: set its state, then its narration, question and highlight.
   * @param {Story} story
   * @param {number} index 0-based
   * @param {SceneState} [state] the state to show (a followed lecturer's), else the scene's
   */
  async show(story, index, state) {
    const token = ++this.token;
    this.story = story;
    this.scene = index;
    const scene = story.scenes[index];
    setQueryField("story", story.id);
    setQueryField("scene", String(index + 1));
    Object.assign(document.body.dataset, { story: story.id, scene: String(index + 1), storyReady: "false" });
    this.bar.hidden = false;
    this.picker.hidden = true;
    this.heading.textContent = story.title;
    this.counter.textContent = `${index + 1} / ${story.scenes.length}`;
    this.narration.textContent = scene.narration;
    this.previous.disabled = index === 0;
    this.next.disabled = index === story.scenes.length - 1;
    this.showQuestion(scene);
    if (scene.question && this.link?.role === "lecturer") this.link.ask(this.pollId(), scene.question);
    await this.apply(state ?? scene.state);
    if (token !== this.token) return;
    this.highlight(scene.highlight);
    document.body.dataset.storyReady = "true";
  }

  /** The current scene's poll id in a class: `<story>:<scene>` (scene from 1). */
  pollId() {
    return `${this.story?.id}:${this.scene + 1}`;
  }

  /**
   * The scene's question, drawn for this reader (alone, the class's lecturer or a student).
   * @param {Scene} scene
   */
  showQuestion(scene) {
    const question = scene.question;
    if (!question) {
      this.question.replaceChildren();
      return;
    }
    const actions = { choose: (/** @type {number} */ k) => this.choose(k), reveal: () => this.link?.reveal(this.pollId()) };
    if (!this.link) {
      const chosen = this.choices.get(`${this.story?.id}/${this.scene}`);
      drawQuestion(this.question, question, { mode: "alone", chosen }, actions);
      return;
    }
    const id = this.pollId();
    const poll = this.polls.get(id);
    const view = {
      mode: this.link.role,
      chosen: this.link.role === "student" ? this.answers.get(id) : undefined,
      open: poll !== undefined,
      revealed: poll?.revealed ?? false,
      counts: poll?.counts,
      unsent: this.unsent.has(id),
    };
    drawQuestion(this.question, question, view, actions);
  }

  /**
   * Answer the current scene's question: alone, the reveal shows; in a class, the answer is
   * sent (the lecturer reveals).
   * @param {number} choice
   */
  choose(choice) {
    if (!this.story) return;
    const scene = this.story.scenes[this.scene];
    if (!scene.question || choice >= scene.question.choices.length) return;
    if (this.link?.role === "student") {
      const id = this.pollId();
      const poll = this.polls.get(id);
      if (!poll || poll.revealed) return;
      this.answers.set(id, choice);
      this.unsent.delete(id);
      this.link.answer(id, choice).then((taken) => this.answerSent(id, choice, taken));
    } else if (this.link) return;
    else this.choices.set(`${this.story.id}/${this.scene}`, choice);
    this.showQuestion(scene);
  }

  /**
   * The server took this student's answer, or did not: then it is shown as not sent.
   * @param {string} id
   * @param {number} choice
   * @param {boolean} taken
   */
  answerSent(id, choice, taken) {
    if (taken || this.answers.get(id) !== choice) return; // taken, or a newer answer went out
    this.answers.delete(id);
    this.unsent.add(id);
    if (this.story && id === this.pollId()) this.showQuestion(this.story.scenes[this.scene]);
  }

  /**
   * Join a live class (classroom.js) or leave it (null): questions become polls.
   * @param {import("./class/link.js").ClassLink | null} link
   */
  connect(link) {
    this.link = link;
    if (!this.story) return;
    const scene = this.story.scenes[this.scene];
    this.showQuestion(scene);
    if (scene.question && link?.role === "lecturer") link.ask(this.pollId(), scene.question);
  }

  /**
   * A class poll opened, counted or revealed: redraw it if it is this scene's.
   * @param {PollView} poll
   */
  pollChanged(poll) {
    this.polls.set(poll.id, poll);
    if (this.story && poll.id === this.pollId()) this.showQuestion(this.story.scenes[this.scene]);
  }

  /**
   * Show a followed lecturer's page in place: exactly its fields, and its story scene if it
   * is in one.
   * @param {URLSearchParams} params the lecturer's query
   */
  async follow(params) {
    const state = this.pageState.read(params);
    const story = this.stories.find((s) => s.id === params.get("story"));
    if (!story) {
      if (this.story) this.leave();
      await this.apply(state);
      return;
    }
    await this.show(story, sceneIndex(story, params), state);
  }

  /**
   * The next (1) or the previous (-1) scene.
   * @param {number} delta
   */
  move(delta) {
    if (!this.story) return;
    const index = this.scene + delta;
    if (index >= 0 && index < this.story.scenes.length) this.show(this.story, index);
  }

  /** Back to the page on its own: the story bar closes, the state stays. */
  leave() {
    this.token++;
    this.story = null;
    this.highlight(undefined);
    setQueryField("story", null);
    setQueryField("scene", null);
    for (const name of ["story", "scene", "storyReady"]) delete document.body.dataset[name];
    this.bar.hidden = true;
    this.picker.hidden = false;
  }

  /**
   * Mark the scene's subject, unmarking the last one, and bring it into view: with the story
   * bar (its narration and question) when both fit on the screen, by the least scroll that
   * shows them both, wherever an earlier scene left the page; else the subject alone.
   * @param {string | undefined} selector
   */
  highlight(selector) {
    this.layoutWatch?.disconnect();
    for (const element of document.querySelectorAll(`.${HIGHLIGHT}`)) element.classList.remove(HIGHLIGHT);
    if (!selector) return;
    const marked = [...document.querySelectorAll(selector)];
    for (const element of marked) element.classList.add(HIGHLIGHT);
    const subject = marked[0];
    if (!subject) return;
    this.bringIntoView(subject);
    // The layout may still be settling (the presenter view just turned on, a chart drawn
    // after the scene's state): for a moment, bring them back into view whenever the subject
    // or the bar changes size.
    const watch = new ResizeObserver(() => this.bringIntoView(subject));
    watch.observe(subject);
    watch.observe(this.bar);
    this.layoutWatch = watch;
    window.setTimeout(() => watch.disconnect(), LAYOUT_SETTLE_MS);
  }

  /**
   * Scroll the least that shows the story bar and the subject together, or the subject alone
   * when both do not fit.
   * @param {Element} subject
   */
  bringIntoView(subject) {
    const bar = this.bar.getBoundingClientRect();
    const box = subject.getBoundingClientRect();
    const top = Math.min(bar.top, box.top);
    const bottom = Math.max(bar.bottom, box.bottom);
    if (bottom - top > window.innerHeight) {
      subject.scrollIntoView({ block: "nearest", behavior: "smooth" });
      return;
    }
    const by = top < 0 ? top : Math.max(0, bottom - window.innerHeight);
    if (by !== 0) window.scrollBy({ top: by, behavior: "smooth" });
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    if (!this.story || typingOrModified(event)) return;
    if (event.key === "PageDown") this.move(1);
    else if (event.key === "PageUp") this.move(-1);
    else if (/^[1-9]$/.test(event.key) && this.story.scenes[this.scene].question) this.choose(Number(event.key) - 1);
    else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}

/**
 * The 0-based scene a query's `scene=` (from 1) names, within the story.
 * @param {Story} story
 * @param {URLSearchParams} params
 */
function sceneIndex(story, params) {
  const scene = Number.parseInt(params.get("scene") ?? "1", 10);
  return Number.isFinite(scene) ? Math.min(Math.max(scene - 1, 0), story.scenes.length - 1) : 0;
}
