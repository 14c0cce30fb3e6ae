#ifndef KSECRET_COPENSSL_SHIM_H
#define KSECRET_COPENSSL_SHIM_H
// The libcrypto surface ksecret uses. Shim functions exist only where Swift cannot call a macro
// or a variadic C function directly; each says why.
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

/// EVP_CTRL_GCM_SET_IVLEN etc. are macros wrapping EVP_CIPHER_CTX_ctrl with an int/void* pair;
/// this keeps the pointer casts out of Swift.
static inline int ksecret_cipher_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr) {
    return EVP_CIPHER_CTX_ctrl(ctx, type, arg, ptr);
}
static inline int ksecret_ctrl_gcm_set_ivlen(void) { return EVP_CTRL_GCM_SET_IVLEN; }
static inline int ksecret_ctrl_gcm_get_tag(void) { return EVP_CTRL_GCM_GET_TAG; }
static inline int ksecret_ctrl_gcm_set_tag(void) { return EVP_CTRL_GCM_SET_TAG; }
static inline int ksecret_ctrl_aead_set_ivlen(void) { return EVP_CTRL_AEAD_SET_IVLEN; }
static inline int ksecret_ctrl_aead_get_tag(void) { return EVP_CTRL_AEAD_GET_TAG; }
static inline int ksecret_ctrl_aead_set_tag(void) { return EVP_CTRL_AEAD_SET_TAG; }

/// OSSL_PARAM_construct_* take `const char *` keys given as macros (OSSL_KDF_PARAM_*);
/// Swift cannot see those string macros reliably, so the names are returned from C.
static inline const char *ksecret_kdf_param_digest(void) { return OSSL_KDF_PARAM_DIGEST; }
static inline const char *ksecret_kdf_param_key(void) { return OSSL_KDF_PARAM_KEY; }
static inline const char *ksecret_kdf_param_salt(void) { return OSSL_KDF_PARAM_SALT; }
static inline const char *ksecret_kdf_param_info(void) { return OSSL_KDF_PARAM_INFO; }
static inline const char *ksecret_kdf_param_password(void) { return OSSL_KDF_PARAM_PASSWORD; }
static inline const char *ksecret_kdf_param_scrypt_n(void) { return OSSL_KDF_PARAM_SCRYPT_N; }
static inline const char *ksecret_kdf_param_scrypt_r(void) { return OSSL_KDF_PARAM_SCRYPT_R; }
static inline const char *ksecret_kdf_param_scrypt_p(void) { return OSSL_KDF_PARAM_SCRYPT_P; }
static inline const char *ksecret_kdf_param_scrypt_maxmem(void) { return OSSL_KDF_PARAM_SCRYPT_MAXMEM; }

/// EVP_PKEY_CTX_set_rsa_* are macros in some OpenSSL versions; wrapped for a stable Swift view.
static inline int ksecret_rsa_oaep_setup(EVP_PKEY_CTX *ctx, const unsigned char *label, size_t label_len) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0) return 0;
    if (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0) return 0;
    if (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0) return 0;
    if (label_len > 0) {
        unsigned char *copy = OPENSSL_memdup(label, label_len); // ownership passes to ctx
        if (copy == NULL) return 0;
        if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, copy, (int)label_len) <= 0) { OPENSSL_free(copy); return 0; }
    }
    return 1;
}
/// The RSA parameter names (OSSL_PKEY_PARAM_RSA_*) are string macros, returned from C as above.
static inline const char *ksecret_pkey_param_rsa_n(void) { return OSSL_PKEY_PARAM_RSA_N; }
static inline const char *ksecret_pkey_param_rsa_e(void) { return OSSL_PKEY_PARAM_RSA_E; }
static inline const char *ksecret_pkey_param_rsa_d(void) { return OSSL_PKEY_PARAM_RSA_D; }
static inline const char *ksecret_pkey_param_rsa_p(void) { return OSSL_PKEY_PARAM_RSA_FACTOR1; }
static inline const char *ksecret_pkey_param_rsa_q(void) { return OSSL_PKEY_PARAM_RSA_FACTOR2; }
static inline const char *ksecret_pkey_param_rsa_dp(void) { return OSSL_PKEY_PARAM_RSA_EXPONENT1; }
static inline const char *ksecret_pkey_param_rsa_dq(void) { return OSSL_PKEY_PARAM_RSA_EXPONENT2; }
static inline const char *ksecret_pkey_param_rsa_qinv(void) { return OSSL_PKEY_PARAM_RSA_COEFFICIENT1; }
/// EVP_PKEY_KEYPAIR and EVP_PKEY_PUBLIC_KEY are compound macros Swift does not import.
static inline int ksecret_pkey_selection_keypair(void) { return EVP_PKEY_KEYPAIR; }
static inline int ksecret_pkey_selection_public(void) { return EVP_PKEY_PUBLIC_KEY; }
#endif
