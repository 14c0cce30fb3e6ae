import CGPGME
import KSecretSystem

/// Asks gpg-agent whether it is there: its socket from `gpgconf --list-dirs agent-socket` (for the
/// given home), then an Assuan `GETINFO version` over it through GPGME's Assuan protocol, which
/// never starts an agent.
///
/// Only for telling "no secret key" from "no agent" after a failed decryption: it runs gpgconf.
struct GPGAgentProbe {
    var homeDirectory: String?

    /// Why the agent does not answer, or nil when it does (or when its socket cannot be found, in
    /// which case nothing is claimed).
    func failure() -> GPGMEError? {
        guard let socket = GnuPGConf(homeDirectory: homeDirectory).agentSocket() else { return nil }
        guard let context = try? GPGMEContext(homeDirectory: nil, protocol: GPGME_PROTOCOL_ASSUAN, engine: socket) else { return nil }
        var status: gpgme_error_t = 0
        let error = gpgme_op_assuan_transact_ext(context.pointer, "GETINFO version", nil, nil, nil, nil, nil, nil, &status)
        if error != 0 { return GPGMEError(error) }
        return nil
    }

}
