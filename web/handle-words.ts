// Short handles in the app's words (docs/client.md §Short handles): whether
// what was typed where an address goes is a handle (`bob@gateway-b`), and
// what each refusal of the daemon means, said to the user. The daemon's own
// message goes along after it: it names the gateway, or lists the ones the
// network knows.

import { CallError } from './api.js';

/** A handle is `name@gateway`: an address (chaff1…) never holds an '@'. */
export function isHandle(text: string): boolean {
  return text.includes('@');
}

/** Why adding the contact `handle` failed, in words, with the daemon's message. */
export function lookupRefusal(handle: string, err: Error): string {
  const at = handle.lastIndexOf('@');
  const name = handle.slice(0, at);
  const gateway = handle.slice(at + 1);
  const detail = err.message;
  if (!(err instanceof CallError)) return detail;
  switch (err.code) {
    case 'not-found':
      return `Not found: ${gateway} holds no handle "${name}". Check the spelling with them (a handle is first come at each gateway, so ${name} at another gateway is someone else). (${detail})`;
    case 'forged-handle':
      return `Refused: ${gateway} answered for ${handle} with a record that does not verify, so it may be forged. Nothing was added; ask them for their full address instead. (${detail})`;
    case 'bad-address':
      return `The network knows no gateway "${gateway}", or this is not a handle (name@gateway). (${detail})`;
    case 'unavailable':
      return `No answer for ${handle}: the lookup goes through the network, which must be reachable, and ${gateway} did not answer in time. Try again later, or use their full address. (${detail})`;
    default:
      return detail;
  }
}

/** Why claiming a handle failed, in words, with the daemon's message. */
export function claimRefusal(err: Error): string {
  if (!(err instanceof CallError)) return err.message;
  switch (err.code) {
    case 'handle-taken':
      return `Taken: ${err.message}.`;
    case 'bad-name':
      // The protocol's check prefixes its words with "handle: ", which the sentence says already.
      return `Not a name a handle can have: ${err.message.replace(/^handle: /, '')}.`;
    case 'unavailable':
      return `Not now: ${err.message}.`;
    default:
      return err.message;
  }
}
