/** What the process says when it starts, and why it could not: pure text for main.ts (tested exactly). */
export { describeSource, describeTarget, routesOf, routesSummary, safeUrl, startBanner, type BannerInput, type Route } from './banner.js';
export { invocationDir } from './invocation-dir.js';
export { LISTEN_FAILURES, LISTENERS, listenFailure, type ListenFailure, type Listener } from './listen-failure.js';
