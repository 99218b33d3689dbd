/**
 * Shared plumbing for browser tests, by concept: the built and served app (app.ts), Debian's Chromium and its
 * pages (chromium.ts), and a user's actions on the studio's page (studioPage.ts).
 */
export { repoRoot } from '../../paths.ts';
export * from './app.ts';
export * from './chromium.ts';
export * from './studioPage.ts';
