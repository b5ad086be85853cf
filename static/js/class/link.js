/**
 * The live class meets the page's story player here: classroom.js starts the class side
 * (lecturer or student), story.js makes the player, in either order. Also what both sides
 * of a class share.
 */

export const PERSONAL = ["present", "embed", "theme", "session"]; // never sent, never followed

/**
 * @typedef {import("../story.js").PollView} PollView
 * @typedef {{role: "lecturer" | "student",
 *   ask: (id: string, question: import("../story.js").Question) => void,
 *   answer: (id: string, choice: number) => Promise<boolean>, reveal: (id: string) => void}} ClassLink
 *   what a story player asks of the class
 */

/** @type {import("../story.js").StoryPlayer | null} the page's story player, once made */
let player = null;
/** @type {ClassLink | null} */
let link = null;
/** @type {Map<string, PollView>} the polls heard of, kept for a player made after them */
const polls = new Map();

/**
 * A story player joins whatever class this page is in (now or later).
 * @param {import("../story.js").StoryPlayer} story
 */
export function joinClass(story) {
  player = story;
  if (link) story.connect(link);
  for (const poll of polls.values()) story.pollChanged(poll);
}

/** @param {PollView} poll opened, counted or revealed */
export function pollChanged(poll) {
  polls.set(poll.id, poll);
  player?.pollChanged(poll);
}

/** @param {ClassLink | null} next */
export function connect(next) {
  link = next;
  player?.connect(next);
}


/** The page's story player, if it has one yet. */
export function currentPlayer() {
  return player;
}

/**
 * JSON of an answer, or an Error with the server's message.
 * @param {Response} answer
 */
export async function answerJson(answer) {
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.detail?.[0]?.msg ?? `${answer.status} ${answer.statusText}`);
  return body;
}

/**
 * A query string without the personal fields, its fields sorted (to compare two pages).
 * @param {string} search
 */
export function sharedQuery(search) {
  const params = new URLSearchParams(search);
  for (const name of PERSONAL) params.delete(name);
  params.sort();
  return params.toString();
}

/**
 * @param {string} text
 * @param {string} [className]
 */
export function span(text, className) {
  const node = document.createElement("span");
  node.textContent = text;
  if (className) node.className = className;
  return node;
}
