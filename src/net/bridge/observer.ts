// What a bridge run did beyond its netlink requests, told to the run cache's
// recorder (src/engine/run-cache/record.ts) while one watches. A module of
// its own so the recorder does not load the bridge code for runs without one.
import type { NetworkDef } from "./networks.ts";

/** Callbacks must not throw. */
export const bridgeObserver: {
  /** The lease was chosen and the network is up; `alone`: it had no other lease. */
  reserved?: (r: { net: NetworkDef; alone: boolean; root: string }) => void;
  /** Work a cached run cannot repeat (bringing the network up). */
  unrecordable?: (why: string) => void;
  /** A lease file written, with its exact text. */
  wrote?: (root: string, bridge: string, text: string) => void;
} = {};
