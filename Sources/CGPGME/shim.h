#ifndef KSECRET_CGPGME_SHIM_H
#define KSECRET_CGPGME_SHIM_H
// GPGME, the library behind PGP master keys (the gpg-agent and keyring of the user).
#include <gpgme.h>
/// gpgme_err_code is a static inline in gpgme.h with a type Swift imports awkwardly; keep one entry point.
static inline unsigned int ksecret_gpgme_err_code(gpgme_error_t err) { return (unsigned int)gpgme_err_code(err); }
#endif
