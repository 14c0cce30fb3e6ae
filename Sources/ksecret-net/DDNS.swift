import ArgumentParser

struct DDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddns",
        abstract: "Point a Namecheap dynamic DNS record at an address, and wait for it to answer.",
        discussion: "The file holds, under --key-path (default [\"namecheap\"]): host (e.g. @), domain and password.",
        subcommands: [DDNSUpdate.self, DDNSWait.self])
}
