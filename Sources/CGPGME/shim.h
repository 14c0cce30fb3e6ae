#ifndef KSECRET_CGPGME_SHIM_H
#define KSECRET_CGPGME_SHIM_H
// GPGME, the library behind PGP master keys (the gpg-agent and keyring of the user).
#include <gpgme.h>

/// gpgme_check_version is a function-like macro (it passes the offset of a bitfield struct member
/// so the library can detect a layout mismatch); Swift imports no function-like macros, so this is
/// the one call Swift cannot make itself.
static inline const char *ksecret_gpgme_check_version(const char *required) {
    return gpgme_check_version(required);
}
#endif
