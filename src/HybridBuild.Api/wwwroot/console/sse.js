// Server-Sent Events over fetch(): EventSource cannot send the Authorization header. Reads the stream, hands each event
// on, and after a dropped connection reconnects with Last-Event-ID = the last id seen, so nothing is shown twice.

import { ApiError, authHeaders } from './api.js';

// The service bounds its log lines far below this; a stream that is not an event stream (a proxy's page, a broken
// connection's garbage) must not grow the tab's memory without end.
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

class StreamTooLarge extends Error {
  constructor() { super(`an event of the log stream is over ${MAX_EVENT_CHARS} characters; reload to try again`); }
}

/** Parses an SSE byte stream; calls onEvent({ id, event, data }) per event and onRetry(ms) for a retry field. */
async function parse(body, onEvent, onRetry) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const tooLarge = () => { reader.cancel().catch(() => {}); return new StreamTooLarge(); };
  const newline = /\r\n|\r|\n/g;
  let buffer = '', scanned = 0, endsWithCR = false, data = [], size = 0, event = '', id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const carried = endsWithCR;
    buffer += value;
    endsWithCR = value.endsWith('\r');
    // a chunk without a line break only grows the unfinished line (scanning all of it again each time would be quadratic)
    if (!carried && !/[\r\n]/.test(value)) {
      if (buffer.length > MAX_EVENT_CHARS) throw tooLarge();
      continue;
    }
    let start = 0, match;
    newline.lastIndex = scanned; // what was scanned before holds no line break
    while ((match = newline.exec(buffer)) !== null) {
      // a CR at the end may be the first half of a CRLF split between two chunks: wait for the next
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      const line = buffer.slice(start, match.index);
      start = newline.lastIndex;
      if (line === '') {
        if (data.length > 0) onEvent({ id, event: event || 'message', data: data.join('\n') });
        data = []; size = 0; event = ''; id = null;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') {
        size += text.length + 1;
        if (size > MAX_EVENT_CHARS) throw tooLarge();
        data.push(text);
      }
      else if (field === 'event') event = text;
      else if (field === 'id') id = text;
      else if (field === 'retry' && /^\d+$/.test(text)) onRetry(Number(text));
    }
    buffer = buffer.slice(start);
    scanned = Math.max(0, buffer.length - 1); // a trailing CR is looked at again
    // what is left is one unfinished line
    if (buffer.length > MAX_EVENT_CHARS) throw tooLarge();
  }
}

/**
 * Follows an event stream until its 'end' event: onEvent(name, payload, id) per event, onState('live' | 'reconnecting' |
 * 'paused' | 'ended'), onError(error) when it cannot go on (a 4xx). pause() drops the connection, resume() picks up
 * after the last event seen, stop() ends it.
 */
export function follow(path, { onEvent, onState = () => {}, onError = () => {} }) {
  let lastId = null, retry = 2000, controller = null, running = false, stopped = false, ended = false, failed = false, paused = false;

  async function run() {
    running = true;
    while (!stopped && !ended) {
      controller = new AbortController();
      try {
        const headers = authHeaders(undefined, { Accept: 'text/event-stream' });
        if (lastId !== null) headers['Last-Event-ID'] = lastId;
        const response = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
        if (!response.ok) {
          const problem = await response.json().catch(() => null);
          if (response.status >= 400 && response.status < 500 && response.status !== 429) {
            failed = true;
            onError(new ApiError(response.status, problem));
            break;
          }
          throw new ApiError(response.status, problem);
        }
        onState('live');
        await parse(response.body, e => {
          if (e.id !== null) lastId = e.id;
          let payload = null;
          try { payload = JSON.parse(e.data); } catch { payload = e.data; }
          if (e.event === 'end') ended = true;
          onEvent(e.event, payload, e.id);
        }, ms => { retry = ms; });
      } catch (error) {
        if (controller.signal.aborted) break;
        if (error instanceof StreamTooLarge) { failed = true; onError(error); break; }
      }
      if (stopped || ended || controller.signal.aborted) break;
      onState('reconnecting');
      await new Promise(resolve => setTimeout(resolve, retry));
      if (paused) break; // paused while waiting to reconnect
    }
    running = false;
    // a failure's message stays: it is the state
    if (!failed) onState(ended ? 'ended' : stopped ? 'stopped' : 'paused');
  }

  run();
  return {
    pause() { paused = true; controller?.abort(); },
    resume() { paused = false; if (!running && !stopped && !ended && !failed) run(); },
    stop() { stopped = true; controller?.abort(); },
    get lastEventId() { return lastId; },
  };
}
