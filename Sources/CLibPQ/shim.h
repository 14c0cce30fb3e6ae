#ifndef KSECRET_CLIBPQ_SHIM_H
#define KSECRET_CLIBPQ_SHIM_H
// libpq, the PostgreSQL client library, behind KSecretFlows's PGConnection (the only user).
// Debian installs the header under /usr/include/postgresql, which pkg-config's `libpq` adds.
#include <libpq-fe.h>
#endif
