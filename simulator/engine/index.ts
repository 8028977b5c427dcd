// The simulator's discrete-event engine: a virtual Clock over an event queue.
export * from './event-queue.js';
export * from './virtual-clock.js';
