/**
 * ccmlab's top-level commands and what each does, in the order its help and its refusals list
 * them. The index is all `ccmlab` loads at start: a command's module (and what it pulls in: the
 * site, the client, node-forge, undici, winston) is loaded only when that command is named.
 */
export const TOP_COMMANDS = {
  site: 'the site: hierarchy, PKI, database, tokens',
  clock: 'the lab clock every process in the lab follows (the role NTP plays)',
  lab: "the lab's shared world: trusted roots and the firewall (see also 'ccmlab clock')",
  client: 'the client agent: start (renew when due), run, status, roam',
  log: 'read CMTrace logs',
  scenario: 'reproduce documented CMG token-auth failures, with their log signatures and answer keys',
  demo: "end-to-end demo: a site and CMG on loopback, a bulk token, ccmsetup with the article's command line",
  fleet: 'many clients at once: enroll (resumable), keys (a key cache), start (the agent on each), status',
  bench:
    'measure key generation, enrollment, startup, logging, token checks and MP requests, each against a limit measured in the same run',
} as const;

export type TopCommand = keyof typeof TOP_COMMANDS;
