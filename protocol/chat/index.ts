// The chat layer inside the end-to-end envelope: frames, content,
// fragmentation, reassembly and ordering. See docs/chat.md.
export * from './errors.js';
export * from './content.js';
export * from './fragment-layout.js';
export * from './frames.js';
export * from './fragmenter.js';
export * from './reassembly.js';
export * from './order.js';
