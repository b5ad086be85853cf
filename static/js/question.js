/**
 * A story scene's question, drawn for whoever looks at it (story.js decides which):
 * - alone (no class): choose, and the answer and why show at once;
 * - the lecturer of a class: the class's answers counted live on each choice, and a button
 *   that reveals the answer to every student;
 * - a student following a class: choose (it can be changed) until the lecturer reveals;
 *   then the answer, why, and how the class answered.
 */
import { el } from "./dom.js";

/**
 * @typedef {import("./story.js").Question} Question
 * @typedef {{mode: "alone" | "lecturer" | "student", chosen?: number, open?: boolean,
 *   revealed?: boolean, counts?: number[] | null, unsent?: boolean}} QuestionView
 *   `open`: the class poll takes answers; `counts`: answers per choice (the lecturer's live,
 *   everyone's once revealed); `unsent`: the student's last answer did not reach the server
 * @typedef {{choose: (choice: number) => void, reveal: () => void}} QuestionActions
 */

/**
 * @param {HTMLElement} container emptied and filled
 * @param {Question} question
 * @param {QuestionView} view
 * @param {QuestionActions} actions
 */
export function drawQuestion(container, question, view, actions) {
  const shown = view.mode === "alone" ? view.chosen !== undefined : Boolean(view.revealed);
  const counts = view.mode === "lecturer" || shown ? view.counts ?? null : null;
  const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
  const choices = el("div", { class: "story-choices", role: "group", "aria-label": question.prompt });
  question.choices.forEach((text, k) => {
    const button = el("button", { type: "button", "aria-keyshortcuts": String(k + 1) }, `${k + 1}. ${text}`);
    if (view.chosen !== undefined) button.setAttribute("aria-pressed", String(k === view.chosen));
    if (shown) {
      if (k === question.answer) button.classList.add("right");
      else if (k === view.chosen) button.classList.add("wrong");
    }
    if (counts) {
      const share = total ? Math.round((100 * counts[k]) / total) : 0;
      button.append(el("span", { class: "story-count" }, ` · ${counts[k]}`));
      button.classList.add("tallied");
      button.style.setProperty("--share", `${share}%`);
    }
    const answerable = view.mode === "alone" || (view.mode === "student" && view.open && !view.revealed);
    if (answerable) button.addEventListener("click", () => actions.choose(k));
    else button.setAttribute("aria-disabled", "true");
    choices.append(button);
  });
  container.replaceChildren(el("p", { class: "story-prompt" }, question.prompt), choices);
  const status = statusLine(question, view, shown, total);
  if (status) container.append(status);
  if (view.mode === "lecturer" && view.open && !view.revealed) {
    const reveal = el("button", { type: "button", class: "primary story-reveal-button" }, "Reveal to the class");
    reveal.addEventListener("click", () => actions.reveal());
    container.append(reveal);
  }
}

/**
 * The line under the choices: what to do now, or the answer and why.
 * @param {Question} question
 * @param {QuestionView} view
 * @param {boolean} shown the answer is shown
 * @param {number} total answers counted
 */
function statusLine(question, view, shown, total) {
  if (shown) {
    const right = question.choices[question.answer];
    let verdict = `It is “${right}”: `;
    if (view.chosen === question.answer) verdict = "Yes: ";
    else if (view.chosen !== undefined) verdict = `No, it is “${right}”: `;
    const tally = view.mode === "alone" ? "" : ` (${answered(total)}.)`;
    return el("p", { class: "story-reveal", role: "status" }, verdict + question.explain + tally);
  }
  if (view.mode === "lecturer") {
    const text = view.open ? `${answered(total)} so far.` : "Opening the question to the class…";
    return el("p", { class: "story-poll-status", role: "status" }, text);
  }
  if (view.mode === "student") {
    let text = "Wait for the lecturer to ask this question.";
    if (view.open && view.unsent) text = "Your answer did not reach the lecturer (the network or the server): choose again.";
    else if (view.open && view.chosen !== undefined) text = `Sent: you chose ${view.chosen + 1}. You can change it until the reveal.`;
    else if (view.open) text = "Answer: the lecturer sees how the class answers, not who.";
    return el("p", { class: "story-poll-status", role: "status" }, text);
  }
  return null;
}

/** @param {number} total */
function answered(total) {
  return total === 1 ? "1 answer" : `${total} answers`;
}
