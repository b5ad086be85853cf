/**
 * POST a JSON request and read the answer as server-sent events. EventSource cannot POST, so
 * this reads the fetch body stream and parses the event-stream format itself:
 * events are separated by a blank line; `event: name` names one, `data: ...` lines carry its
 * (strict JSON) payload, lines starting with ":" are comments (keep-alives).
 * Aborting the signal cancels the request, and the server stops its work.
 */
import { ApiError } from "../api.js";

/**
 * The readable message of an error answer: FastAPI's `detail` is a string or a list of
 * `{loc, msg}` (the field named by the last part of `loc`). A 429 adds when to try again.
 * @param {Response} response
 * @returns {Promise<string>}
 */
async function errorMessage(response) {
  const body = await response.json().catch(() => null);
  const detail = body?.detail;
  let message;
  if (typeof detail === "string") message = detail;
  else if (Array.isArray(detail) && detail.length > 0) {
    message = detail
      .map((d) => (d.loc?.length > 1 ? `${d.loc.slice(1).join(".")}: ${d.msg}` : (d.msg ?? JSON.stringify(d))))
      .join("; ");
  } else message = `the server answered ${response.status} ${response.statusText}`;
  const retry = response.headers.get("Retry-After");
  if (response.status === 429 && retry) message += ` (try again in ${retry} s)`;
  return message;
}

/**
 * POST JSON and return the JSON answer; throw an ApiError with the server's message.
 * @param {string} url
 * @param {object} payload
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>}
 */
export async function postJson(url, payload, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(payload),
    signal,
  });
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  return response.json();
}

/**
 * Parse one event block (the lines between blank lines).
 * @param {string} block
 * @returns {{event: string, data: any} | null} null for a block without data (a comment)
 */
export function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  return { event, data: JSON.parse(data.join("\n")) };
}

/**
 * POST `payload` to `url` and call `onEvent(name, data)` for each server-sent event, in order,
 * until the stream ends. Resolves when it ends; rejects with an ApiError when the server
 * refuses the request (4xx/5xx before the stream starts), or with an AbortError when
 * `signal` aborts.
 * @param {string} url
 * @param {object} payload
 * @param {(event: string, data: any) => void} onEvent
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
export async function streamEvents(url, payload, onEvent, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(payload),
    signal,
  });
  if (!response.ok || !response.body) throw new ApiError(await errorMessage(response), response.status);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const separator = /\r?\n\r?\n/g;
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    // Look for separators only in the new text (and the 3 characters before it): a large
    // snapshot arrives in many chunks, and rescanning it all each time would be quadratic.
    separator.lastIndex = Math.max(buffer.length - 3, 0);
    buffer += value;
    let start = 0;
    for (let match = separator.exec(buffer); match; match = separator.exec(buffer)) {
      const parsed = parseEvent(buffer.slice(start, match.index));
      start = match.index + match[0].length;
      if (parsed) onEvent(parsed.event, parsed.data);
    }
    buffer = buffer.slice(start);
  }
  const last = parseEvent(buffer);
  if (last) onEvent(last.event, last.data);
}
