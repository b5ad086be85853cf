/**
 * The one HTTP client of the pages: JSON requests and server-sent event streams. A request that
 * fails for any reason (the server refused it, or could not be reached) rejects with an
 * ApiError; `status.js` shows one. Knows nothing of what the endpoints mean.
 */

/** The parts of FastAPI's `loc` that say where a field was sent, not which field it is. */
const PLACES = new Set(["body", "query", "path", "header", "cookie"]);

/**
 * @typedef {{loc?: (string | number)[], msg?: string}} ErrorItem one entry of FastAPI's
 *   `{"detail": [{"loc", "msg", "type"}]}`
 */

/**
 * A field path without its place: ["body", "model", "state_dict"] → "model.state_dict".
 * @param {(string | number)[]} loc
 * @returns {string}
 */
function fieldOf(loc) {
  return loc.filter((part, k) => !(k === 0 && PLACES.has(String(part)))).join(".");
}

/**
 * One error as a sentence that names its field: the server's messages start with the field
 * ("steps asks for 5000 steps; the limit is 1000"), FastAPI's own do not ("Input should be
 * greater than 0"), so those get the field in front.
 * @param {ErrorItem} item
 * @returns {string}
 */
function describe(item) {
  const msg = item.msg ?? JSON.stringify(item);
  const field = fieldOf(item.loc ?? []);
  const leaf = String(item.loc?.at(-1) ?? "");
  return field === "" || msg.startsWith(leaf) ? msg : `${field}: ${msg}`;
}

/** A request that failed: refused by the server (4xx, 5xx) or never answered (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status, 0 when the server could not be reached
   * @param {(string | number)[]} loc where the (first) bad field is, as FastAPI says:
   *   ["body", "steps"]; [] when the error is not about one field
   * @param {string} message what went wrong, naming the field
   * @param {number | null} [retryAfter] seconds the server asked to wait before trying again
   */
  constructor(status, loc, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.loc = loc;
    this.retryAfter = retryAfter;
  }

  /** The bad field's path without its place ("steps", "model.state_dict"); "" for none. */
  get field() {
    return fieldOf(this.loc);
  }

  /**
   * The error a refused request's answer describes: FastAPI's `detail` is a list of
   * `{loc, msg, type}` or a string. A `Retry-After` header adds when to try again.
   * @param {Response} response
   * @returns {Promise<ApiError>}
   */
  static async fromResponse(response) {
    const body = await response.json().catch(() => null);
    const detail = body?.detail;
    /** @type {ErrorItem[]} */
    const items = Array.isArray(detail) ? detail : [];
    let message = typeof detail === "string" ? detail : items.map(describe).join("; ");
    if (message === "") message = `the server answered ${response.status} ${response.statusText}`.trim();
    const retry = response.headers.get("Retry-After");
    if (retry) message += ` (try again in ${retry} s)`;
    const seconds = retry && /^\d+$/.test(retry) ? Number(retry) : null;
    return new ApiError(response.status, items[0]?.loc ?? [], message, seconds);
  }

  /**
   * The error of a request that got no answer (the server is down, the network is gone).
   * @param {unknown} cause what fetch threw
   * @param {string} what "reach the server", "read the stream"
   * @returns {ApiError}
   */
  static unanswered(cause, what) {
    const reason = cause instanceof Error ? ` (${cause.message})` : "";
    return new ApiError(0, [], `could not ${what}${reason}`);
  }
}

/**
 * Send a request; resolve to the answer when it is a success, else reject with an ApiError.
 * An aborted request rejects with the AbortError, as fetch does.
 * @param {string} url
 * @param {RequestInit} init
 * @returns {Promise<Response>}
 */
async function send(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw ApiError.unanswered(error, "reach the server");
  }
  if (!response.ok) throw await ApiError.fromResponse(response);
  return response;
}

/**
 * The request options of a POST: a JSON body, or a FormData sent as multipart.
 * @param {object | FormData} payload
 * @param {string} accept
 * @param {AbortSignal} [signal]
 * @returns {RequestInit}
 */
function post(payload, accept, signal) {
  if (payload instanceof FormData) return { method: "POST", headers: { Accept: accept }, body: payload, signal };
  const headers = { Accept: accept, "Content-Type": "application/json" };
  return { method: "POST", headers, body: JSON.stringify(payload), signal };
}

/**
 * GET a JSON document.
 * @param {string} url
 * @returns {Promise<any>} the parsed answer (its shape is the endpoint's)
 */
export async function getJson(url) {
  const response = await send(url, { headers: { Accept: "application/json" } });
  return response.json();
}

/**
 * POST a JSON body (or a FormData as multipart) and read the JSON answer.
 * @param {string} url
 * @param {object | FormData} payload
 * @param {AbortSignal} [signal]
 * @returns {Promise<any>} the parsed answer (its shape is the endpoint's)
 */
export async function postJson(url, payload, signal) {
  const response = await send(url, post(payload, "application/json", signal));
  return response.json();
}

/**
 * Parse one server-sent event block (the lines between blank lines): `event: name` names it,
 * `data: ...` lines carry its (strict JSON) payload, lines starting with ":" are comments.
 * @param {string} block
 * @returns {{event: string, data: any} | null} null for a block without data (a keep-alive)
 */
function parseEvent(block) {
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
 * POST JSON and call `onEvent(name, data)` for each server-sent event of the answer, in order,
 * until the stream ends (EventSource cannot POST, so the body stream is read here). Resolves
 * when it ends; rejects with an ApiError when the server refuses the request or the stream
 * breaks off, with the AbortError when `signal` aborts (the server then stops its work).
 * @param {string} url
 * @param {object} payload
 * @param {(event: string, data: any) => void} onEvent
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
export async function streamEvents(url, payload, onEvent, signal) {
  const response = await send(url, post(payload, "text/event-stream", signal));
  if (!response.body) throw new ApiError(response.status, [], "the server's answer has no body");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const separator = /\r?\n\r?\n/g;
  let buffer = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (signal.aborted) throw error;
      throw ApiError.unanswered(error, "read the rest of the server's answer");
    }
    if (chunk.done) break;
    // Look for separators only in the new text (and the 3 characters before it): a large
    // snapshot arrives in many chunks, and rescanning it all each time would be quadratic.
    separator.lastIndex = Math.max(buffer.length - 3, 0);
    buffer += chunk.value;
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
