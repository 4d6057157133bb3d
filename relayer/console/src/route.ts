// Client-side routing on the URL's hash, so the daemon serves only index.html and assets:
// #/ (overview), #/path/<chain>/<port>/<channel>, #/lookup/<query>, #/wallets.

import { useEffect, useState } from "react";

export type Route =
  | { view: "overview" }
  | { view: "path"; chain: string; port: string; channel: string }
  | { view: "lookup"; query: string }
  | { view: "wallets" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  switch (parts[0]) {
    case "path":
      if (parts.length >= 4) return { view: "path", chain: parts[1], port: parts[2], channel: parts[3] };
      return { view: "overview" };
    case "lookup":
      return { view: "lookup", query: parts.slice(1).join("/") };
    case "wallets":
      return { view: "wallets" };
    default:
      return { view: "overview" };
  }
}

export function href(r: Route): string {
  switch (r.view) {
    case "overview":
      return "#/";
    case "path":
      return `#/path/${[r.chain, r.port, r.channel].map(encodeURIComponent).join("/")}`;
    case "lookup":
      return `#/lookup/${r.query.split("/").map(encodeURIComponent).join("/")}`;
    case "wallets":
      return "#/wallets";
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const f = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", f);
    return () => window.removeEventListener("hashchange", f);
  }, []);
  return route;
}
