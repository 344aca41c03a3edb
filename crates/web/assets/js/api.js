// The public GraphQL API, as the site uses it: queries and mutations over HTTP (`/graphql`),
// subscriptions over WebSocket (`/graphql/ws`, graphql-transport-ws).
import { accessToken } from './session.js';

let base = '';
// Where the API is (the widget talks to the Holdfast server it was loaded from).
export function setBase(origin) {
  base = origin;
}

// A refused request: `code` is the API's `extensions.code`, `rule` the broken booking rule.
export class ApiError extends Error {
  constructor(error) {
    super(error?.message || 'request failed');
    this.code = error?.extensions?.code || 'NETWORK';
    this.rule = error?.extensions?.rule || null;
    this.retryable = error?.extensions?.retryable ?? this.code === 'NETWORK';
  }
}

// Runs a query or mutation; resolves to `data`, or throws the first error as an ApiError.
export async function gql(query, variables = {}) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
  const token = await accessToken(base);
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  try {
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    body = await response.json();
  } catch {
    throw new ApiError(null);
  }
  if (body.errors?.length) throw new ApiError(body.errors[0]);
  return body.data;
}

// Uploads a file (a photo) to `path` with the session's token; resolves to the JSON answer, or
// throws an ApiError with the answer's `code`.
export async function upload(path, file) {
  const headers = { 'Content-Type': file.type || 'application/octet-stream' };
  const token = await accessToken(base);
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  let body = null;
  try {
    response = await fetch(`${base}${path}`, { method: 'POST', headers, body: file });
    body = await response.json();
  } catch {
    throw new ApiError(null);
  }
  if (!response.ok) throw new ApiError({ message: body?.message, extensions: { code: body?.code } });
  return body;
}

// A fresh idempotency key for one user action (a retry of the same action reuses it).
export function idempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// Subscribes; `onData(data)` for each result. Reconnects (with a growing pause) when the
// connection drops, and `onReconnect()` lets the caller re-read what it may have missed.
// Returns a function that ends the subscription.
export function subscribe(query, variables, onData, { onReconnect, onError } = {}) {
  let socket = null;
  let closed = false;
  let attempt = 0;
  const id = '1';
  const open = async () => {
    const url = new URL(`${base || location.origin}/graphql/ws`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = await accessToken(base);
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {} }));
    };
    socket.onmessage = (message) => {
      const msg = JSON.parse(message.data);
      if (msg.type === 'connection_ack') {
        if (attempt > 0 && onReconnect) onReconnect();
        attempt = 0;
        socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      } else if (msg.type === 'next' && msg.id === id) {
        if (msg.payload.errors?.length && onError) onError(new ApiError(msg.payload.errors[0]));
        if (msg.payload.data) onData(msg.payload.data);
      } else if (msg.type === 'error' && onError) {
        onError(new ApiError(msg.payload?.[0]));
      } else if (msg.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    };
    socket.onclose = () => {
      if (closed) return;
      attempt += 1;
      setTimeout(open, Math.min(10_000, 250 * 2 ** attempt));
    };
  };
  open();
  return () => {
    closed = true;
    if (socket && socket.readyState <= 1) {
      try { socket.send(JSON.stringify({ id, type: 'complete' })); } catch { /* closing anyway */ }
      socket.close();
    }
  };
}
