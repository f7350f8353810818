export { prepareTls, type GatewayTls, type TlsPeerSetup } from './tls-setup.js';
