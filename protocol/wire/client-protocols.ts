// The libp2p protocol ids a client speaks to its gateway (docs/gateway.md
// §The gateway service). Shared by the gateway (node/) and the client
// (client/), which must not import each other.

/**
 * RPC: a register request (protocol/wire/register.ts: empty, or the 74-byte
 * version 1 with an optional delivery id, invite token and proof of work) →
 * the caller's mailbox id (32 bytes).
 */
export const CLIENT_REGISTER_PROTOCOL = '/chaff/client/register/1';
/** Stream, client → gateway: fixed-size Sphinx frames. */
export const CLIENT_SEND_PROTOCOL = '/chaff/client/send/1';
/** RPC: a fetch request (protocol/wire/fetch.ts) → a fetch reply. */
export const CLIENT_FETCH_PROTOCOL = '/chaff/client/fetch/1';
/**
 * RPC: a handle claim or release (protocol/wire/handle.ts) → a claim reply
 * (docs/handles.md). The caller is the peer Noise authenticated.
 */
export const CLIENT_HANDLE_PROTOCOL = '/chaff/client/handle/1';
/**
 * RPC: a message id (protocol/wire/handle.ts reply-body request) → the full,
 * still encrypted body of that SURB reply in the caller's mailbox: how a
 * client reads a lookup's answer, which a fetch carries only as a digest.
 */
export const CLIENT_REPLY_BODY_PROTOCOL = '/chaff/client/reply-body/1';
