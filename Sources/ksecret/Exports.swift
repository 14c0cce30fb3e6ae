// Diagnostics and TypeOptions live in KSecretCLI, shared with ksecret-net; re-exported here so
// every command file keeps using them without an import of its own.
@_exported import KSecretCLI
