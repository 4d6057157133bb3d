// React hooks over gql.ts: a polled query and a subscription.

import { useCallback, useEffect, useRef, useState } from "react";
import { AuthError, gql, subscribe } from "./gql";

export interface QueryState<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  refetch: () => void;
  /** Replaces the data (e.g. with a subscription's newer value). */
  setData: (f: (old: T | undefined) => T | undefined) => void;
}

/** Runs `query` now, whenever `variables` change, and every `pollMs` (when given). */
export function useQuery<T>(
  query: string,
  variables: Record<string, unknown> | undefined,
  pollMs?: number,
  skip = false,
): QueryState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(!skip);
  const vars = JSON.stringify(variables ?? {});
  const seq = useRef(0);

  const run = useCallback(() => {
    if (skip) return;
    const mine = ++seq.current;
    setLoading(true);
    gql<T>(query, JSON.parse(vars))
      .then((d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if (mine !== seq.current) return;
        setError(e instanceof AuthError ? "a token is required" : e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
  }, [query, vars, skip]);

  useEffect(() => {
    setData(undefined);
    run();
    if (!pollMs || skip) return;
    const t = setInterval(() => {
      if (document.visibilityState !== "hidden") run();
    }, pollMs);
    return () => clearInterval(t);
  }, [run, pollMs, skip]);

  return { data, error, loading, refetch: run, setData };
}

/** Subscribes to `query` while mounted (and `variables` stay the same). */
export function useSubscription<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (d: T) => void,
): string | undefined {
  const [error, setError] = useState<string | undefined>(undefined);
  const handler = useRef(onData);
  handler.current = onData;
  const vars = JSON.stringify(variables);
  useEffect(
    () =>
      subscribe<T>(
        query,
        JSON.parse(vars),
        (d) => {
          setError(undefined);
          handler.current(d);
        },
        (e) => setError(e.message),
      ),
    [query, vars],
  );
  return error;
}

/** The current Unix time in seconds, re-rendering every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now() / 1000), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
