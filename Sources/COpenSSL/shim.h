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
#include <openssl/provider.h>
#include <openssl/core_dispatch.h>
#include <strings.h>

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

/// An AEAD cipher of the default provider, called through the provider's dispatch table.
/// Why: OpenSSL 3.0's first EVP_CIPHER_fetch (EVP_EncryptInit_ex with EVP_aes_256_gcm() does one)
/// builds an EVP_CIPHER for every cipher of every provider, about 130 of them: 3 million
/// instructions, a tenth of a `secrets://` downloader call. These are the functions EVP would
/// call, found by name in OSSL_PROVIDER_query_operation's table (provider-cipher(7)).
/// CryptoLibrary decides when this is used: only when no configuration file can have changed the
/// providers or their properties (FIPS).
typedef struct {
    void *provctx;
    OSSL_FUNC_cipher_newctx_fn *newctx;
    OSSL_FUNC_cipher_freectx_fn *freectx;
    OSSL_FUNC_cipher_encrypt_init_fn *encrypt_init;
    OSSL_FUNC_cipher_decrypt_init_fn *decrypt_init;
    OSSL_FUNC_cipher_update_fn *update;
    OSSL_FUNC_cipher_final_fn *final;
    OSSL_FUNC_cipher_get_ctx_params_fn *get_ctx_params;
    OSSL_FUNC_cipher_set_ctx_params_fn *set_ctx_params;
} ksecret_aead;

/// Whether `name` is one of the colon-separated `names` (case-insensitive, as OpenSSL's names are).
static inline int ksecret_name_in_list(const char *name, const char *names) {
    size_t length = strlen(name);
    for (const char *p = names; p != NULL && *p != 0; ) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == length && strncasecmp(p, name, n) == 0) return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/// Fills `out` with the default provider's implementation of the cipher `name`; 0 when the
/// provider or the cipher or one of the functions is missing (then use EVP).
static inline int ksecret_aead_find(const char *name, ksecret_aead *out) {
    OSSL_PROVIDER *provider = OSSL_PROVIDER_try_load(NULL, "default", 1);   // kept for the process
    if (provider == NULL) return 0;
    int no_cache = 0;
    const OSSL_ALGORITHM *algorithm = OSSL_PROVIDER_query_operation(provider, OSSL_OP_CIPHER, &no_cache);
    for (; algorithm != NULL && algorithm->algorithm_names != NULL; algorithm++) {
        if (!ksecret_name_in_list(name, algorithm->algorithm_names)) continue;
        memset(out, 0, sizeof(*out));
        out->provctx = OSSL_PROVIDER_get0_provider_ctx(provider);
        for (const OSSL_DISPATCH *f = algorithm->implementation; f->function_id != 0; f++) {
            switch (f->function_id) {
            case OSSL_FUNC_CIPHER_NEWCTX: out->newctx = OSSL_FUNC_cipher_newctx(f); break;
            case OSSL_FUNC_CIPHER_FREECTX: out->freectx = OSSL_FUNC_cipher_freectx(f); break;
            case OSSL_FUNC_CIPHER_ENCRYPT_INIT: out->encrypt_init = OSSL_FUNC_cipher_encrypt_init(f); break;
            case OSSL_FUNC_CIPHER_DECRYPT_INIT: out->decrypt_init = OSSL_FUNC_cipher_decrypt_init(f); break;
            case OSSL_FUNC_CIPHER_UPDATE: out->update = OSSL_FUNC_cipher_update(f); break;
            case OSSL_FUNC_CIPHER_FINAL: out->final = OSSL_FUNC_cipher_final(f); break;
            case OSSL_FUNC_CIPHER_GET_CTX_PARAMS: out->get_ctx_params = OSSL_FUNC_cipher_get_ctx_params(f); break;
            case OSSL_FUNC_CIPHER_SET_CTX_PARAMS: out->set_ctx_params = OSSL_FUNC_cipher_set_ctx_params(f); break;
            default: break;
            }
        }
        return out->provctx != NULL && out->newctx && out->freectx && out->encrypt_init && out->decrypt_init
            && out->update && out->final && out->get_ctx_params && out->set_ctx_params;
    }
    return 0;
}

static inline void *ksecret_aead_newctx(const ksecret_aead *a) { return a->newctx(a->provctx); }
static inline void ksecret_aead_freectx(const ksecret_aead *a, void *ctx) { a->freectx(ctx); }
/// Starts an operation: the key when given (else the one set before), and the IV with its length.
static inline int ksecret_aead_init(const ksecret_aead *a, void *ctx, int encrypt, const unsigned char *key, size_t key_length,
                                    const unsigned char *iv, size_t iv_length) {
    return (encrypt ? a->encrypt_init : a->decrypt_init)(ctx, key, key_length, iv, iv_length, NULL);
}
/// With `out` NULL, `in` is additional authenticated data. The output may be as long as the input.
static inline int ksecret_aead_update(const ksecret_aead *a, void *ctx, unsigned char *out, size_t *out_length,
                                      const unsigned char *in, size_t in_length) {
    return a->update(ctx, out, out_length, in_length, in, in_length);
}
static inline int ksecret_aead_final(const ksecret_aead *a, void *ctx, unsigned char *out, size_t *out_length) {
    return a->final(ctx, out, out_length, 0);
}
/// OSSL_PARAM arrays are built from string macros Swift cannot see (OSSL_CIPHER_PARAM_AEAD_TAG).
static inline int ksecret_aead_get_tag(const ksecret_aead *a, void *ctx, unsigned char *tag, size_t length) {
    OSSL_PARAM params[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, length), OSSL_PARAM_construct_end() };
    return a->get_ctx_params(ctx, params);
}
static inline int ksecret_aead_set_tag(const ksecret_aead *a, void *ctx, unsigned char *tag, size_t length) {
    OSSL_PARAM params[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, length), OSSL_PARAM_construct_end() };
    return a->set_ctx_params(ctx, params);
}
#endif
