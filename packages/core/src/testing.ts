// Development and test support of @ehkd/core: a deterministic development scheme, its cards and terminals, and a
// card-signed receipt chain without a card. Never part of a deployment's trust: its keys derive from a public seed.
export {
  DEV_VALIDITY,
  DevCardChain,
  certifyLeaf,
  createDevScheme,
  devCard,
  devId,
  devTerminal,
  type DevLeaf,
  type DevParty,
  type DevScheme,
} from './scheme/dev-scheme.js';
