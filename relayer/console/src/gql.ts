// The console's GraphQL client: queries and mutations are a plain `fetch` POST to the
// daemon's `/graphql`; subscriptions go over one shared websocket (graphql-transport-ws,
// the `graphql-ws` client), which reconnects by itself. Both carry the bearer token when
// one is known (`?token=` in the page's URL, or typed into the token prompt).

import { createClient, type Client } from "graphql-ws";

const TOKEN_KEY = "stateset-relayer-console-token";

/** Thrown when the daemon answers 401 (or refuses the websocket): the UI asks for a token. */
export class AuthError extends Error {
  constructor() {
    super("the daemon wants a token");
  }
}

/** A GraphQL-level error (the request reached the daemon and was refused or failed). */
export class GqlError extends Error {}

type AuthListener = () => void;
const authListeners = new Set<AuthListener>();

/** Called when the daemon refuses the current token (or its absence). */
export function onAuthRequired(f: AuthListener): () => void {
  authListeners.add(f);
  return () => authListeners.delete(f);
}

function authRequired() {
  authListeners.forEach((f) => f());
}

/** Takes `?token=` from the page's URL into the session (and out of the address bar). */
export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token) {
    setToken(token);
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.toString());
  }
}

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Stores the token for this tab's session and reconnects the websocket with it. */
export function setToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token.trim());
  } catch {
    // Storage disabled: the token lasts until the page is reloaded.
  }
  memoryToken = token.trim();
  restartSocket();
}

let memoryToken: string | null = null;

function currentToken(): string | null {
  return getToken() ?? memoryToken;
}

/** The `/graphql` endpoint next to the page (works behind a path-prefixing proxy too). */
export function endpoint(): string {
  return new URL("graphql", document.baseURI).toString();
}

function wsEndpoint(): string {
  const u = new URL(endpoint());
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

/** Runs a query or mutation. */
export async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  const token = currentToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(endpoint(), {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  if (res.status === 401 || res.status === 403) {
    authRequired();
    throw new AuthError();
  }
  let body: { data?: T; errors?: { message: string }[] };
  try {
    body = await res.json();
  } catch {
    throw new GqlError(`the daemon answered ${res.status} ${res.statusText}`);
  }
  if (body.errors && body.errors.length > 0) {
    throw new GqlError(body.errors.map((e) => e.message).join("; "));
  }
  if (!res.ok || body.data === undefined) {
    throw new GqlError(`the daemon answered ${res.status} ${res.statusText}`);
  }
  return body.data;
}

/** The websocket's state, for the header's indicator. */
/** "idle": no subscription open (the view polls), so no socket. */
export type LinkState = "idle" | "connecting" | "live" | "down";
type LinkListener = (s: LinkState) => void;
const linkListeners = new Set<LinkListener>();
/** The socket's own state; shown only while a subscription is open. */
let socketState: Exclude<LinkState, "idle"> = "connecting";

function linkState(): LinkState {
  return resubscribers.size === 0 ? "idle" : socketState;
}

function setSocketState(s: Exclude<LinkState, "idle">) {
  socketState = s;
  emitLinkState();
}

function emitLinkState() {
  const s = linkState();
  linkListeners.forEach((f) => f(s));
}

export function onLinkState(f: LinkListener): () => void {
  linkListeners.add(f);
  f(linkState());
  return () => linkListeners.delete(f);
}

let client: Client | null = null;

function socket(): Client {
  if (client) return client;
  client = createClient({
    url: wsEndpoint(),
    lazy: true,
    keepAlive: 15_000,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      // 0.5 s, 1 s, 2 s ... at most 10 s between attempts.
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** retries)));
    },
    connectionParams: () => {
      const token = currentToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connecting: () => setSocketState("connecting"),
      connected: () => setSocketState("live"),
      closed: (event) => {
        setSocketState("down");
        const code = (event as CloseEvent | undefined)?.code;
        // 4401 Unauthorized / 4403 Forbidden: the token was refused.
        if (code === 4401 || code === 4403) authRequired();
      },
    },
  });
  return client;
}

function restartSocket() {
  if (client) {
    const old = client;
    client = null;
    void old.dispose();
    resubscribers.forEach((f) => f());
  }
}

const resubscribers = new Set<() => void>();

/**
 * Subscribes to `query`; `onData` gets each event's data. Returns the unsubscribe function.
 * The subscription survives reconnects and token changes.
 */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError?: (e: Error) => void,
): () => void {
  let stop: (() => void) | null = null;
  const start = () => {
    stop?.();
    stop = socket().subscribe<T>(
      { query, variables },
      {
        next: (msg) => {
          if (msg.data) onData(msg.data as T);
          if (msg.errors?.length) onError?.(new GqlError(msg.errors.map((e) => e.message).join("; ")));
        },
        error: (e) => onError?.(e instanceof Error ? e : new GqlError(String(e))),
        complete: () => {},
      },
    );
  };
  start();
  resubscribers.add(start);
  emitLinkState();
  return () => {
    resubscribers.delete(start);
    stop?.();
    emitLinkState();
  };
}
