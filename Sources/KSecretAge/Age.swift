// Native age v1; see Documentation/Format.md.
import KSecretCrypto
