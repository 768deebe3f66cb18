// Issue 15, item 1: outputs replace regular files only, never an input of the command.
#include "experiments/files.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>

#include "tests/experiments/sweep_support.hpp"

using namespace icsim;
namespace fs = std::filesystem;

namespace {
fs::path fresh(const std::string& name) {
  const auto path = test::sweep_folder() / name;
  fs::remove_all(path);
  return path;
}
}  // namespace

TEST_CASE("an output that is a FIFO - a directory or a device is refused - left as it was",
          "[files]") {
  const auto fifo = fresh("fifo.h5");
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  const auto run = test::cli({"run", "--years", "1", "-q", "-o", fifo.string()});
  CHECK(run.code == 2);
  CHECK(test::line_count(run.err) == 1);
  CHECK(run.err.find(fifo.string() + ": cannot write the output: it is a FIFO") !=
        std::string::npos);
  CHECK(fs::is_fifo(fifo));

  const auto directory = fresh("directory.h5");
  fs::create_directory(directory);
  CHECK(test::cli({"run", "--years", "1", "-q", "-o", directory.string()}).code == 2);
  CHECK(fs::is_directory(directory));

  // A device: never /dev/null itself, which a regression would replace when run as root. A link
  // to it is followed to the device and refused (the old code replaced the link, not the device),
  // and where the tests may make device nodes (root), a node of our own.
  const auto link = fresh("null-link.h5");
  fs::create_symlink("/dev/null", link);
  const auto through_link = test::cli({"run", "--years", "1", "-q", "-o", link.string()});
  CHECK(through_link.code == 2);
  CHECK(through_link.err.find(link.string() + ": cannot write the output: it is a device") !=
        std::string::npos);
  CHECK(fs::is_symlink(link));
  const auto node = fresh("null-node.h5");
  if (::mknod(node.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0) {
    const auto device = test::cli({"run", "--years", "1", "-q", "-o", node.string()});
    CHECK(device.code == 2);
    CHECK(device.err.find("it is a device") != std::string::npos);
    CHECK(fs::is_character_file(node));
  }

  const auto sweep = test::write_file("fifo-sweep.toml", test::tiny_sweep("[\"summary\"]", 2));
  CHECK(test::cli({"sweep", sweep.string(), "-q", "--overwrite", "-o", fifo.string()}).code == 2);
  CHECK(fs::is_fifo(fifo));
}

TEST_CASE("an output that is a symbolic link is written through: the link stays", "[files]") {
  const auto target = fresh("target.h5"), link = fresh("link.h5");
  std::ofstream(target) << "old";
  fs::create_symlink(target.filename(), link);
  const auto run = test::cli({"run", "--years", "1", "-q", "-o", link.string()});
  CHECK(run.code == 0);
  CHECK(fs::is_symlink(link));
  CHECK(fs::file_size(target) > 1000);  // the run, in the file the link points to
  CHECK(check_output(link, {}) == fs::canonical(target));

  const auto dangling = fresh("dangling.h5");
  fs::create_symlink("nowhere.h5", dangling);
  const auto refused = test::cli({"run", "--years", "1", "-q", "-o", dangling.string()});
  CHECK(refused.code == 2);
  CHECK(refused.err.find("a symbolic link to nothing") != std::string::npos);
}

TEST_CASE("an output that is one of the command's inputs is refused - by any name", "[files]") {
  const auto scenario = test::write_file("own.toml", "[policy]\npsf = 1.0\n");
  const auto run =
      test::cli({"run", scenario.string(), "--years", "1", "-q", "-o", scenario.string()});
  CHECK(run.code == 2);
  CHECK(test::line_count(run.err) == 1);
  CHECK(run.err.find("it is also an input of this command") != std::string::npos);
  std::ifstream in(scenario);
  std::string first;
  std::getline(in, first);
  CHECK(first == "[policy]");  // not replaced by HDF5

  // Through a link, and a base of the scenario.
  const auto derived =
      test::write_file("derived.toml", "base = \"own.toml\"\n[policy]\nbailout = 1.0\n");
  const auto link = fresh("own-link.h5");
  fs::create_symlink(scenario.filename(), link);
  CHECK(test::cli({"run", derived.string(), "--years", "1", "-q", "-o", link.string()}).code == 2);

  // The sweep file of a sweep, a shard of a merge.
  const auto sweep = test::write_file("self-sweep.toml", test::tiny_sweep("[\"summary\"]", 2));
  CHECK(test::cli({"sweep", sweep.string(), "-q", "--overwrite", "-o", sweep.string()}).code == 2);
  const auto shard = fresh("self-shard.h5");
  REQUIRE(test::cli({"sweep", sweep.string(), "-q", "-o", shard.string()}).code == 0);
  const auto merge = test::cli({"merge", "-q", "-o", shard.string(), shard.string()});
  CHECK(merge.code == 2);
  CHECK(merge.err.find("it is also an input") != std::string::npos);
  CHECK(test::recorded_rows(shard) == 4);
}
