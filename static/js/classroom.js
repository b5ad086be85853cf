/**
 * The live classroom on every page (server/routes/sessions.py).
 *
 * Lecturer: the header's "Class" button starts a session and shows its code, join link, QR
 * code and followers. From then on this tab sends its page (path and query, the personal
 * fields aside) whenever it changes, across pages, until "End"; a model kept in this browser
 * (`model=local:<name>`) is shared with the session along with it. A story scene's question
 * is opened as a poll, its answers counted live, revealed by the lecturer. The lecturer token
 * stays in this tab's sessionStorage: it never reaches a student.
 *
 * Student: a page opened with `session=<code>` (the join link's redirect adds it) follows
 * the session's event stream. It shows the lecturer's page as it changes, in place on the
 * same page (the story player applies it) and by opening it on another, keeping its own
 * presenter, theme and embed choices; a shared model is fetched and kept first. Questions
 * are answered on the student's screen, one answer per browser, anonymously. "Detach"
 * explores alone; "Follow again" returns.
 *
 * class/lecturer.js and class/student.js are the two sides; class/link.js introduces them to
 * the page's story player.
 */
import { Lecturer, storedLecture } from "./class/lecturer.js";
import { Follower } from "./class/student.js";

const joined = new URLSearchParams(window.location.search).get("session");
const lecture = storedLecture();
// /join is where a student types a code: nothing to present or follow there yet.
if (document.getElementById("class-toggle") && document.body.dataset.page !== "join") {
  if (joined && lecture?.code !== joined.toUpperCase()) new Follower(joined.toUpperCase());
  else new Lecturer();
}
