// The console's frame: the header (navigation, quick lookup, link state), the token prompt,
// and the current view.

import { useEffect, useState, type FormEvent } from "react";
import { onAuthRequired, onLinkState, setToken, type LinkState } from "./gql";
import { href, useRoute } from "./route";
import { Lookup } from "./views/Lookup";
import { Overview } from "./views/Overview";
import { PathView } from "./views/PathView";
import { Wallets } from "./views/Wallets";

export function App() {
  const route = useRoute();
  const [link, setLink] = useState<LinkState>("idle");
  const [needToken, setNeedToken] = useState(false);
  const [epoch, setEpoch] = useState(0);
  useEffect(() => onLinkState(setLink), []);
  useEffect(() => onAuthRequired(() => setNeedToken(true)), []);

  let view;
  switch (route.view) {
    case "overview":
      view = <Overview />;
      break;
    case "path":
      view = <PathView key={`${route.chain}/${route.port}/${route.channel}`} {...route} />;
      break;
    case "lookup":
      view = <Lookup query={route.query} />;
      break;
    case "wallets":
      view = <Wallets />;
      break;
  }
  const tab = (name: string, to: string, active: boolean) => (
    <a href={to} className={active ? "active" : ""} data-testid={`nav-${name.toLowerCase()}`}>
      {name}
    </a>
  );
  return (
    <>
      <header className="top">
        <div className="brand">
          <span className="logo">⇄</span> Stateset relayer
        </div>
        <nav>
          {tab("Overview", href({ view: "overview" }), route.view === "overview" || route.view === "path")}
          {tab("Lookup", href({ view: "lookup", query: "" }), route.view === "lookup")}
          {tab("Wallets", href({ view: "wallets" }), route.view === "wallets")}
        </nav>
        <div className={`link link-${link}`} data-testid="link-state" data-state={link} title="live updates (websocket)">
          <span className="dot" />
          {{ idle: "polling", live: "live", connecting: "connecting", down: "reconnecting" }[link]}
        </div>
      </header>
      <main key={epoch}>{view}</main>
      {needToken && (
        <TokenPrompt
          onDone={(t) => {
            setToken(t);
            setNeedToken(false);
            setEpoch((e) => e + 1);
          }}
        />
      )}
    </>
  );
}

function TokenPrompt({ onDone }: { onDone: (token: string) => void }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onDone(value.trim());
  };
  return (
    <div className="modal-back">
      <form className="modal card" onSubmit={submit} data-testid="token-prompt">
        <h2>Token required</h2>
        <p className="muted">
          The daemon's API asks for a bearer token (see its configuration). The token is kept for
          this tab only.
        </p>
        <input
          type="password"
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="token"
          data-testid="token-input"
        />
        <button type="submit">Connect</button>
      </form>
    </div>
  );
}
