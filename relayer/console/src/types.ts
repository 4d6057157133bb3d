// The shapes of /work/plan/console-schema.graphql's types as the console queries them.

export interface Chain {
  id: string;
  up: boolean;
  scannedHeight: number | null;
  latestHeight: number | null;
  cometbft?: string | null;
  ibcGo?: string | null;
}

export interface Client {
  chain: string;
  clientId: string;
  counterpartyChain: string;
  status: string;
  trustingPeriodLeftSeconds: number | null;
  latestHeight: number | null;
}

export interface Path {
  kind: string;
  chain: string;
  port: string;
  channel: string;
  counterpartyChain: string;
  counterpartyPort: string | null;
  counterpartyChannel: string | null;
  backlog: number;
  oldestPendingAgeSeconds: number | null;
  quarantined: number;
}

export interface App {
  kind: string;
  sender?: string | null;
  receiver?: string | null;
  denom?: string | null;
  amount?: string | null;
  memo?: string | null;
  owner?: string | null;
  messages?: string[] | null;
  port?: string | null;
}

export interface PendingPacket {
  sequence: number;
  state: string;
  sentHeight: number | null;
  ageSeconds: number | null;
  app: App | null;
}

export interface Step {
  kind: string;
  chain: string;
  height: number;
  time: number;
  txHash: string | null;
  success: boolean | null;
  detail: string | null;
}

export interface Packet {
  chain: string;
  port: string;
  channel: string;
  sequence: number;
  counterpartyChain: string;
  destinationPort: string;
  destinationChannel: string;
  firstSeen: number;
  status: string;
  app: App;
  steps: Step[];
}

export interface Wallet {
  chain: string;
  address: string;
  denom: string;
  balance: number | null;
  feesPaid: number;
}

export interface Task {
  name: string;
  restarts: number;
  crashLooping: boolean;
}

const APP = "app { kind sender receiver denom amount memo owner messages port }";
const STEP = "kind chain height time txHash success detail";

/** The fields of a Packet every view asks for. */
export const PACKET_FIELDS = `chain port channel sequence counterpartyChain destinationPort destinationChannel firstSeen status ${APP} steps { ${STEP} }`;
export const PATH_FIELDS =
  "kind chain port channel counterpartyChain counterpartyPort counterpartyChannel backlog oldestPendingAgeSeconds quarantined";
export const PENDING_FIELDS = `sequence state sentHeight ageSeconds ${APP}`;
