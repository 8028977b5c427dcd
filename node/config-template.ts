// The commented node config `chaff node init` writes (docs/operators.md
// §First start): every key the role reads, each with what it does. What
// identifies the node and the network (name, role, addresses, authorities,
// the network's parameters) is set; every tunable is a commented-out line
// showing its default, so a config keeps following the defaults of the
// version it runs until its operator uncomments a line.
// test/cli/node-init.test.ts checks that the keys written are exactly the
// keys node/config.ts reads for the role, and that every commented default
// is the reader's default.

import { defaultUnwrapWorkers, type NodeRole } from './config.js';

export interface ConfigTemplateAuthority {
  name: string;
  identity: string;
  addresses: readonly string[];
}

export interface ConfigTemplateInput {
  role: NodeRole;
  name: string;
  /** data_dir as written (relative to the config file). */
  dataDir: string;
  listen: readonly string[];
  announce: readonly string[];
  authorities: readonly ConfigTemplateAuthority[];
  /** The network's epoch clock (ISO date, duration text such as "20m"). */
  genesis: string;
  epochDuration: string;
  /** host:port for GET /metrics. */
  metricsListen: string;
}

const toml = (value: string | readonly string[]): string => JSON.stringify(value);

/** One key: [key, value as written, what it does]. */
type Line = readonly [string, string, string];

function section(title: string | null, about: string, lines: readonly Line[], commented: boolean): string[] {
  const out = ['', `# ${about}`];
  if (title !== null) out.push(title);
  for (const [key, value, comment] of lines) {
    out.push(`# ${comment}`, `${commented ? '# ' : ''}${key} = ${value}`);
  }
  return out;
}

/** The TOML text of a new node's config. */
export function nodeConfigTemplate(input: ConfigTemplateInput): string {
  const { role } = input;
  const relay = role !== 'authority';
  const out: string[] = [
    `# Chaff ${role} node: written by \`chaff node init\` (docs/operators.md).`,
    '# Unknown keys are errors. Durations are written like "500ms", "30s", "20m", "2h", "14d".',
    '# Relative paths are relative to this file. Commented-out lines show the default.',
  ];
  out.push(
    ...section(
      '[node]',
      'This node.',
      [
        ['name', toml(input.name), 'Shown in the topology document; unique in the network.'],
        ['role', toml(role), '"authority" | "mix" | "gateway" (a mix\'s layer is assigned by the authorities).'],
        ['data_dir', toml(input.dataDir), 'Identity key (libp2p.key: back it up, never share it), epoch keys and stores.'],
        ['listen', toml(input.listen), 'libp2p multiaddrs (TCP) to listen on. Open this port in the firewall (docs/operators.md §Firewall).'],
        ['announce', toml(input.announce), 'The addresses other nodes and clients dial, published in the descriptor (default: listen).'],
        ...(relay ? ([['family', '[]', 'Identity keys of all the nodes you run, the same list on each of them (docs/operators.md §Declaring a family).']] as const) : []),
      ],
      false,
    ),
  );
  for (const a of input.authorities) {
    out.push(
      '',
      '# A directory authority (one [[authorities]] table each): its name, Ed25519 identity key (`chaff node identity` on its machine) and addresses.',
      '[[authorities]]',
      `name = ${toml(a.name)}`,
      `identity = ${toml(a.identity)}`,
      `addresses = ${toml(a.addresses)}`,
    );
  }
  out.push(
    ...section(
      '[authority]',
      "The network's parameters: the same on every node of the network (the authorities publish them; ask their operators).",
      [
        ['genesis', toml(input.genesis), 'Start of epoch 0, RFC 3339.'],
        ['epoch_duration', toml(input.epochDuration), 'Length of an epoch: keys and the topology document change every epoch.'],
      ],
      false,
    ),
    ...section(
      null,
      "The rest of the network parameters, at Chaff's defaults (docs/parameters.md); uncomment only if the network changed them.",
      [
        ['layers', '3', 'Mix layers.'],
        ['mu', '2', 'Per-hop delay rate, 1/s (mean delay 1/mu s).'],
        ['lambda_p', '2', 'Client real-or-drop rate, 1/s.'],
        ['lambda_l', '1', 'Client loop rate, 1/s.'],
        ['lambda_d', '0.5', 'Client drop rate, 1/s.'],
        ['lambda_m', '1', 'Mix loop rate, 1/s (0: none).'],
        ['hops', '5', 'Sphinx hops (gateway, layers, gateway).'],
        ['user_payload_bytes', '2048', 'Sphinx user payload; packets are 3130 bytes at the defaults.'],
        ...(relay
          ? []
          : ([
              ['admissions', toml(`${input.dataDir}/admissions.toml`), "This authority's admission list (chaff node admit; docs/operators.md §Admitting nodes)."],
              ['max_descriptors_per_epoch', '1024', 'Most descriptors (distinct nodes) held per epoch, uploads and shares together.'],
            ] as const)),
      ],
      true,
    ),
  );
  if (relay) {
    out.push(
      ...section(
        '[mix]',
        'Packet processing (mixes and gateways).',
        [
          ['input_queue', '10000', 'Packets waiting to be unwrapped before new ones are dropped (input-queue-full).'],
          ['delay_queue', '200000', 'Packets held for their delay at once before new ones are dropped (delay-queue-full).'],
          ['key_grace', '"2m"', "How long an epoch's Sphinx key is kept after its epoch ends, for packets still in flight."],
          [
            'workers',
            String(defaultUnwrapWorkers()),
            'Threads that unwrap Sphinx packets; 0: in the event loop. Default: every core but one, at least 1 (this machine: the value shown; docs/operators.md §Sizing).',
          ],
        ],
        true,
      ),
    );
  }
  if (role === 'gateway') {
    out.push(
      ...section(
        '[gateway]',
        'Clients and their mailboxes (docs/gateway.md).',
        [
          ['retention', '"14d"', 'How long an undelivered message is kept.'],
          ['mailbox_quota_messages', '10000', 'Messages one mailbox holds at most.'],
          ['mailbox_quota_bytes', '67108864', 'Bytes one mailbox holds at most (64 MiB).'],
          ['mailbox_total_bytes', '17179869184', 'Bytes all mailboxes together hold at most (16 GiB): size it to your disk.'],
          ['fetch_batch', '4', 'Message slots in every fetch reply, padded with dummies (docs/parameters.md §Mailbox pulls).'],
          ['fetch_ack_batch', '12', 'ACK slots (SURB reply digests) in every fetch reply.'],
          ['client_rate_headroom', '3', "Client token bucket: this many times the network's lambda_p + lambda_l + lambda_d."],
          ['sync_deposits', 'false', 'fsync every deposit before its ACK leaves: survives a power loss, one disk flush per message (docs/storage.md §Durability).'],
          ['registration', '"open"', 'Who may register: "open" (with a proof of work), "invite" (chaff node invite) or "closed".'],
          ['registration_pow_bits', '16', '"open": leading zero bits of the registration proof of work (16: about 0.1 s of a client\'s CPU).'],
          ['max_clients', '10000', 'Registered clients at most.'],
          ['registrations_per_hour', '600', 'New registrations per hour, whole gateway.'],
          ['registrations_per_address_per_hour', '10', 'New registrations per hour from one source address (IPv4 /32, IPv6 /64).'],
          ['clients_per_address', '16', 'Client identities sending from one source address at once.'],
          ['handle_claims_per_client_per_hour', '10', 'Short-handle claims and releases per hour from one client (also the burst).'],
          ['idle_expiry', '"30d"', 'A registration unused (no fetch, no send) this long expires with its mailbox.'],
          ['request_allowance_messages', '32', 'Contact requests waiting for one client: entries.'],
          ['request_allowance_bytes', '262144', 'Contact requests waiting for one client: bytes.'],
        ],
        true,
      ),
    );
  }
  out.push(
    ...section(
      '[metrics]',
      'Prometheus metrics (docs/operators.md §Metrics; deploy/grafana-dashboard.json, deploy/prometheus-alerts.yml).',
      [['listen', toml(input.metricsListen), 'host:port serving GET /metrics; keep it on 127.0.0.1 or a private network. Remove the key to turn metrics off.']],
      false,
    ),
    ...section('[log]', 'JSON lines on stderr (docs/operators.md §Logs).', [['level', '"info"', '"debug" | "info" | "warn" | "error".']], true),
  );
  return `${out.join('\n')}\n`;
}
