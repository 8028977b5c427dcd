// docs/compatibility.md: a node refuses a peer or a document of a format
// version it does not read, with an error that says so, never by
// misreading it. One check per versioned format a node meets.

import assert from 'node:assert/strict';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { DOCUMENT_VERSION, validateDocument, DocumentError, type Document } from '../../../protocol/pki/document.js';
import { FETCH_REQUEST_LENGTH, FETCH_VERSION, decodeFetchRequest, FetchFormatError } from '../../../protocol/wire/fetch.js';
import { REGISTER_REQUEST_LENGTH, REGISTER_VERSION, decodeRegisterRequest, RegisterFormatError } from '../../../protocol/wire/register.js';
import {
  HANDLE_FORMAT_VERSION,
  HandleError,
  decodeHandleClaimRequest,
  decodeLookupRequest,
  decodeReplyBodyRequest,
  encodeHandleClaimRequest,
  encodeLookupRequest,
  encodeReplyBodyRequest,
} from '../../../protocol/wire/handle.js';
import { handleOwner, handleRecordOf } from '../../helpers/handle-fixtures.js';
import { geometryFromUserForwardPayloadLength, unwrap, SphinxError } from '../../../protocol/sphinx/index.js';
import { X25519PrivateKey } from '../../../protocol/crypto/x25519.js';
import { callRpc, RpcError } from '../../../runtime/net/rpc.js';
import { createHost } from '../../../runtime/net/host.js';
import { PARAMS } from '../../helpers/pki-fixtures.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CHAFF = fileURLToPath(new URL('../../../bin/chaff.js', import.meta.url));

describe('format versions a node does not read are refused, with a clear error', function () {
  this.timeout(20_000);

  it('a topology document of another format version', () => {
    const doc = { version: DOCUMENT_VERSION + 1, epoch: 0, params: PARAMS, gateways: [], layers: [[]] } as Document;
    assert.throws(
      () => validateDocument(doc),
      (err: Error) => err instanceof DocumentError && err.code === 'bad-version' && err.message.includes(`format version ${DOCUMENT_VERSION + 1}`) && err.message.includes('docs/compatibility.md'),
    );
  });

  it('a mailbox fetch or registration of another version', () => {
    const fetch = new Uint8Array(FETCH_REQUEST_LENGTH);
    fetch[0] = FETCH_VERSION + 1;
    assert.throws(
      () => decodeFetchRequest(fetch),
      (err: Error) => err instanceof FetchFormatError && /version \d+ is not supported/.test(err.message),
    );
    const register = new Uint8Array(REGISTER_REQUEST_LENGTH);
    register[0] = REGISTER_VERSION + 1;
    assert.throws(
      () => decodeRegisterRequest(register),
      (err: Error) => err instanceof RegisterFormatError && /unknown request version/.test(err.message),
    );
  });

  it('a short-handle claim, record, lookup or reply-body request of another version', () => {
    const refused = (bytes: Uint8Array, decode: (b: Uint8Array) => unknown, pattern: RegExp) =>
      assert.throws(
        () => decode(bytes),
        (err: Error) => err instanceof HandleError && err.code === 'malformed' && pattern.test(err.message),
      );
    const claim = encodeHandleClaimRequest({ op: 'claim', record: handleRecordOf(handleOwner('v', new Uint8Array(32).fill(7)), 'v') });
    claim[0] = HANDLE_FORMAT_VERSION + 1;
    refused(claim, decodeHandleClaimRequest, new RegExp(`unknown claim version ${HANDLE_FORMAT_VERSION + 1}`));
    claim[0] = HANDLE_FORMAT_VERSION;
    claim[2] = HANDLE_FORMAT_VERSION + 1; // the record's own version
    refused(claim, decodeHandleClaimRequest, new RegExp(`unknown record version ${HANDLE_FORMAT_VERSION + 1} \\(this code knows ${HANDLE_FORMAT_VERSION}\\)`));
    const lookup = encodeLookupRequest('bob', 64);
    lookup[0] = HANDLE_FORMAT_VERSION + 1;
    refused(lookup, decodeLookupRequest, /unknown lookup version/);
    const body = encodeReplyBodyRequest(1n);
    body[0] = HANDLE_FORMAT_VERSION + 1;
    refused(body, decodeReplyBodyRequest, /unknown reply-body version/);
  });

  it('a Sphinx packet of another version (its additional data)', () => {
    const geometry = geometryFromUserForwardPayloadLength({ nike: 'X25519', nrHops: 5, userForwardPayloadLength: 512, withSURB: false });
    const packet = new Uint8Array(geometry.packetLength);
    packet[1] = 1;
    assert.throws(
      () => unwrap(geometry, X25519PrivateKey.generate(), packet),
      (err: Error) => err instanceof SphinxError && err.code === 'bad-version',
    );
  });

  it('a peer that does not speak the protocol version asked for (libp2p protocol ids carry it)', async () => {
    const server = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    const client = await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    try {
      await server.handle('/chaff/pki/descriptor/1', () => undefined);
      await assert.rejects(
        callRpc(client, server.peerId, server.getMultiaddrs(), '/chaff/pki/descriptor/2', new Uint8Array(1), { maxResponseBytes: 1024 }),
        (err: Error) => err instanceof RpcError && err.message.includes('does not speak /chaff/pki/descriptor/2') && err.message.includes('docs/compatibility.md'),
      );
    } finally {
      await client.stop();
      await server.stop();
    }
  });

  it('chaff --version names the release (package.json) and the format versions it reads', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.match(version, /^\d+\.\d+\.\d+$/);
    const run = spawnSync(process.execPath, [CHAFF, '--version'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout,
      `chaff ${version} (document format ${DOCUMENT_VERSION}, fetch ${FETCH_VERSION}, register ${REGISTER_VERSION}, handle ${HANDLE_FORMAT_VERSION}; Node.js ${process.version})\n`,
    );
  });
});
