// Public surface of @atelier/proxy: the edge that routes every host name of Atelier on one port.
export { type EdgeServer, type ListenOptions, listen, listenRedirect } from './listen.js';
export { createProxy } from './proxy.js';
export { type CertificatePair, loadCertificateFiles, watchCertificateFiles } from './tls/cert-files.js';
export { certificateHosts, ensureLocalCa, type LocalCa } from './tls/local-ca.js';
export type { Proxy, ProxyDeps, RouteTarget } from './types.js';
