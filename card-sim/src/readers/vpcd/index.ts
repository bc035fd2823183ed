/**
 * Serving software cards to a real PC/SC stack through vsmartcard's vpcd driver
 * (`@ehkd/card-sim/vpcd`). See scripts/pcsc-stack.sh for starting pcscd with vpcd.
 */
export type { VirtualCard } from './virtual-card.js';
export { ForwardingCard, type CommandInterceptor } from './forwarding-card.js';
export { contactlessAtr, SIMULATOR_ATR } from './contactless-atr.js';
export { encodeFrame, FrameReader, MAX_FRAME_PAYLOAD, VpcdControl } from './vpcd-frame.js';
export {
  serveOverVpcd,
  VpcdCardServer,
  VpcdServerState,
  VPCD_DEFAULT_PORT,
  type TornExchange,
  type VpcdServerOptions,
} from './vpcd-card-server.js';
