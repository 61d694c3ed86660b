// Preloaded with `node -r` by tests: the process runs under umask 000, the widest there is.
process.umask(0o000);
