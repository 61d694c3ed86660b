/** The client version ccmlab's client announces and its MP reports (build 9128); apart so that `--version` loads no XML parser. */
export const AGENT_VERSION = '5.00.9128.1000';
