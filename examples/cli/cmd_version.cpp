// appc version: the library's version and the appc spec version it implements.
#include "cli.hpp"

#include <cstdio>

namespace cli {
namespace {

void help() {
  std::printf("usage: appc version\n"
              "\n"
              "Print the libappc version and the appc specification version it implements.\n"
              "With --format=json: {\"library\": \"X.Y.Z\", \"spec\": \"X.Y.Z\"}.\n");
}

int run(const Globals &g, const Args &args) {
  if (!args.empty()) return usage_error("version takes no arguments (got '" + args.front() + "')");
  if (g.format == Format::json) {
    std::printf("{\"library\":%s,\"spec\":%s}\n", json_quote(appc_version()).c_str(),
                json_quote(appc_spec_version()).c_str());
  } else {
    std::printf("libappc %s\nappc spec %s\n", appc_version(), appc_spec_version());
  }
  return kExitOk;
}

} // namespace

const Command kVersionCommand = {"version", "print the library and spec versions", run, help};

} // namespace cli
