// Group chats over pairwise sessions (docs/groups.md).
export * from './errors.js';
export * from './op.js';
export * from './op-log.js';
export * from './membership.js';
export * from './messages.js';
export * from './frame.js';
export * from './group.js';
