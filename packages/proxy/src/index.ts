// Public surface of @atelier/proxy: the edge that routes every host name of Atelier on one port.
export { listen } from './listen.js';
export { createProxy } from './proxy.js';
export type { Proxy, ProxyDeps, RouteTarget } from './types.js';
