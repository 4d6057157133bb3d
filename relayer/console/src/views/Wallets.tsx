// The relayer's accounts on each chain and their balances (the fee denom).

import { formatBalance } from "../format";
import { useQuery } from "../hooks";
import type { Wallet } from "../types";
import { Empty, ErrorBox, Section } from "../ui";

const WALLETS = `query Wallets { wallets { chain address denom balance feesPaid } }`;

export function Wallets() {
  const q = useQuery<{ wallets: Wallet[] }>(WALLETS, undefined, 15_000);
  const wallets = q.data?.wallets;
  return (
    <div className="stack">
      <ErrorBox error={q.error} />
      <Section title="Wallets" extra={<span className="muted">the relayer's signing accounts</span>}>
        {!wallets ? (
          <Empty>loading…</Empty>
        ) : wallets.length === 0 ? (
          <Empty>no wallet</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Chain</th>
                <th>Address</th>
                <th className="num">Balance</th>
                <th className="num">Fees paid</th>
                <th>Denom</th>
              </tr>
            </thead>
            <tbody>
              {wallets.map((w) => (
                <tr key={`${w.chain}/${w.address}/${w.denom}`} data-testid="wallet-row" data-chain={w.chain} data-address={w.address}>
                  <td className="mono">{w.chain}</td>
                  <td className="mono">
                    <a href={`#/lookup/${w.address}`} title="packets this address sent or received">
                      {w.address}
                    </a>
                  </td>
                  <td className={`num mono ${w.balance === 0 ? "tone-bad" : ""}`}>{formatBalance(w.balance)}</td>
                  <td className="num mono">{formatBalance(w.feesPaid)}</td>
                  <td className="mono">{w.denom}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
