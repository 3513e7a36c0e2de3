// The appc CLI: shared declarations. Built on <appc/appc.h> only.
#pragma once

#include <appc/appc.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

// Exit codes of the appc command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the operation failed: one line "appc: <message>" on stderr
inline constexpr int kExitUsage = 2;  // bad command line

enum class Format { text, json };

// --insecure-options=none|http|image|pubkey|all (comma list)
enum Insecure : unsigned {
  kInsecureNone = 0,
  kInsecureHttp = 1u << 0,
  kInsecureImage = 1u << 1,
  kInsecurePubkey = 1u << 2,
  kInsecureAll = kInsecureHttp | kInsecureImage | kInsecurePubkey,
};

// The global flags, parsed wherever they appear on the command line.
struct Globals {
  std::string root;            // --root DIR, else $APPC_ROOT, else /var/lib/appc
  Format format = Format::text;
  bool debug = false;
  unsigned insecure = kInsecureNone;
};

using Args = std::vector<std::string>;

// A verb: `appc <name> ...`. `args` excludes the verb and the global flags.
struct Command {
  const char *name;
  const char *summary;
  int (*run)(const Globals &g, const Args &args);
  void (*help)();
};

// The verbs, one file each (cmd_<verb>.cpp).
extern const Command kVersionCommand;
extern const Command kManifestCommand;
extern const Command kImageCommand;
// Pods (cmd_pod.cpp).
extern const Command kPrepareCommand, kRunCommand, kRunPreparedCommand, kStatusCommand, kListCommand,
    kStopCommand, kRmCommand, kGcCommand, kEnterCommand, kLogsCommand;

// `appc image` subcommands over the image store (cmd_store.cpp). store_subcommand
// runs import|list|export|tree|rm|gc|check (`handled` false for any other name).
int store_subcommand(const Globals &g, const std::string &sub, const Args &args, bool &handled);
// cat-manifest and render of an IMAGE resolved in the store at g.root.
int store_cat_manifest(const Globals &g, const std::string &image, bool pretty);
int store_render(const Globals &g, const std::string &image, const std::string &dir, bool preserve_owners);
// Whether `arg` names an existing file (then it is an ACI file, not a stored IMAGE).
bool is_existing_path(const std::string &arg);
// The store part of `appc image --help`.
void store_help();

// "appc: <message>" on stderr; returns kExitError.
int fail(const std::string &message);
// "appc: <context>: <last error message>" (every diagnostic too with --debug); returns kExitError.
int fail_last_error(const Globals &g, const std::string &context);
// "appc: <message>" and a hint on stderr; returns kExitUsage.
int usage_error(const std::string &message);
// Whether `s` looks like a flag (not a plain "-", which means stdin).
bool is_flag(std::string_view s);

// The whole file ("-": stdin), at most `limit` bytes plus one (so a parser can
// tell that the limit was passed). On failure returns false with `err` = strerror text.
bool read_file(const std::string &path, size_t limit, std::string &out, std::string &err);

// JSON string literal (quoted, escaped) for machine-readable output.
std::string json_quote(std::string_view s);

// One validation finding, formatted "path: message (spec N)" (path and rule omitted when empty/0).
std::string format_finding(const char *path, const char *message, int rule);

} // namespace cli
