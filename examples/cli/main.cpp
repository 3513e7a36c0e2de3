// appc: the reference command line for libappc, built on <appc/appc.h> alone.
//
//   appc [--root DIR] [--format=text|json] [--debug] [--insecure-options=LIST] COMMAND [ARGS...]
//
// Global flags may appear anywhere before a "--". Exit status: 0 success,
// 1 failure (one line "appc: <message>" on stderr), 2 usage error.
#include "cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace cli;

const Command *const kCommands[] = {
    &kVersionCommand,
    &kManifestCommand,
    &kImageCommand,
    &kPrepareCommand, &kRunCommand, &kRunPreparedCommand, &kStatusCommand, &kListCommand,
    &kStopCommand, &kRmCommand, &kGcCommand, &kEnterCommand, &kLogsCommand,
};

void print_help() {
  std::printf(
      "usage: appc [GLOBAL FLAGS] COMMAND [ARGS...]\n"
      "\n"
      "Global flags:\n"
      "  --root DIR                 state directory (default $APPC_ROOT or /var/lib/appc)\n"
      "  --format=text|json         output format (default text)\n"
      "  --debug                    more detail on errors\n"
      "  --insecure-options=LIST    comma list of none,http,image,pubkey,all (default none)\n"
      "  --help                     this help; `appc COMMAND --help` for a command\n"
      "\n"
      "Commands:\n");
  for (const Command *c : kCommands) std::printf("  %-10s %s\n", c->name, c->summary);
  std::printf("\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

const Command *find_command(std::string_view name) {
  for (const Command *c : kCommands)
    if (name == c->name) return c;
  return nullptr;
}

// "--flag=value" or "--flag value": true when `arg` is `flag`; `value` filled,
// `i` advanced past a separate value. `missing` set when no value follows.
bool take_value(const std::string &flag, int argc, char **argv, int &i, std::string &value, bool &missing) {
  std::string_view arg = argv[i];
  if (arg == flag) {
    if (i + 1 >= argc) {
      missing = true;
      return true;
    }
    value = argv[++i];
    return true;
  }
  if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=') {
    value = std::string(arg.substr(flag.size() + 1));
    return true;
  }
  return false;
}

bool parse_insecure(const std::string &list, unsigned &out, std::string &bad) {
  unsigned flags = kInsecureNone;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item == "none") {
    } else if (item == "http") {
      flags |= kInsecureHttp;
    } else if (item == "image") {
      flags |= kInsecureImage;
    } else if (item == "pubkey") {
      flags |= kInsecurePubkey;
    } else if (item == "all") {
      flags |= kInsecureAll;
    } else {
      bad = item;
      return false;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  out = flags;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  Globals g;
  if (const char *env = std::getenv("APPC_ROOT"); env != nullptr && *env != '\0') g.root = env;
  else g.root = "/var/lib/appc";

  Args rest;
  bool help = false;
  bool literal = false;  // after "--": everything is an argument
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (literal) {
      rest.push_back(arg);
      continue;
    }
    if (arg == "--") {
      literal = true;
      rest.push_back(arg);
      continue;
    }
    std::string value;
    bool missing = false;
    if (take_value("--root", argc, argv, i, value, missing)) {
      if (missing) return usage_error("--root needs a directory");
      if (value.empty()) return usage_error("--root needs a non-empty directory");
      g.root = value;
    } else if (take_value("--format", argc, argv, i, value, missing)) {
      if (missing) return usage_error("--format needs a value: text or json");
      if (value == "text") g.format = Format::text;
      else if (value == "json") g.format = Format::json;
      else return usage_error("--format: unknown format '" + value + "' (text or json)");
    } else if (take_value("--insecure-options", argc, argv, i, value, missing)) {
      if (missing) return usage_error("--insecure-options needs a value");
      std::string bad;
      if (!parse_insecure(value, g.insecure, bad))
        return usage_error("--insecure-options: unknown option '" + bad + "' (none, http, image, pubkey, all)");
    } else if (arg == "--debug") {
      g.debug = true;
    } else if (arg == "--help" || arg == "-h") {
      help = true;
    } else {
      rest.push_back(arg);
    }
  }

  if (rest.empty()) {
    if (!help) return usage_error("missing command");
    print_help();
    return kExitOk;
  }
  const std::string verb = rest.front();
  rest.erase(rest.begin());
  if (verb == "help") {
    if (rest.empty()) {
      print_help();
      return kExitOk;
    }
    const Command *c = find_command(rest.front());
    if (c == nullptr) return usage_error("unknown command '" + rest.front() + "'");
    c->help();
    return kExitOk;
  }
  const Command *c = find_command(verb);
  if (c == nullptr) {
    if (is_flag(verb)) return usage_error("unknown flag '" + verb + "'");
    return usage_error("unknown command '" + verb + "'");
  }
  if (help) {
    c->help();
    return kExitOk;
  }
  return c->run(g, rest);
}
