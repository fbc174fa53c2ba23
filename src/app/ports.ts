/**
 * The ports the use cases need, one file per subject under ports/. Adapters live at the edges:
 * store/ (MongoDB, memory), slack/ (Notifier), queue/ (ApplyQueue). Keep each interface small
 * and about one thing.
 */
export * from './ports/workspace-store.js';
export * from './ports/request-store.js';
export * from './ports/technical-user-store.js';
export * from './ports/ownership-store.js';
export * from './ports/keys.js';
export * from './ports/store.js';
export * from './ports/grant-store.js';
export * from './ports/notifier.js';
export * from './ports/review-notifier.js';
export * from './ports/runtime.js';
export * from './ports/directory.js';
export * from './ports/change-target.js';
export * from './ports/slack-installation-store.js';
export * from './ports/people.js';
export * from './ports/slack-scope.js';
export * from './ports/access-review-store.js';
export * from './ports/access-review-notifier.js';
