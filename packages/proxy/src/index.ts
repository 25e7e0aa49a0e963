// Public surface of @atelier/proxy: the edge that routes every host name of Atelier on one port.
export { type EdgeServer, type ListenOptions, listen, listenRedirect } from './listen.js';
export { createProxy } from './proxy.js';
export { type AcmeManager, type AcmeOptions, createAcme } from './tls/acme.js';
export { type Dns01Provider, execProvider, rfc2136Provider } from './tls/acme-dns01.js';
export { type AcmeStore, fileAcmeStore, type StoredCertificate } from './tls/acme-store.js';
export { type CertificatePair, loadCertificateFiles, watchCertificateFiles } from './tls/cert-files.js';
export { certificateHosts, ensureLocalCa, type LocalCa } from './tls/local-ca.js';
export type { Proxy, ProxyDeps, RouteTarget } from './types.js';
