#include "experiments/files.hpp"

#include <unistd.h>

#include "experiments/scenario.hpp"

namespace icsim {
namespace fs = std::filesystem;

fs::path check_output(const fs::path& path, const std::vector<fs::path>& inputs) {
  const auto refuse = [&](const std::string& why) {
    throw InputError(path.string() + ": cannot write the output: " + why);
  };
  std::error_code error;
  fs::path target = path;
  if (fs::is_symlink(fs::symlink_status(path, error))) {
    target = fs::canonical(path, error);
    if (error) refuse("a symbolic link to nothing (" + error.message() + ")");
  }
  const auto status = fs::status(target, error);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    const auto type = status.type();
    refuse(type == fs::file_type::directory ? "it is a directory"
           : type == fs::file_type::fifo    ? "it is a FIFO, not a regular file"
           : type == fs::file_type::socket  ? "it is a socket, not a regular file"
                                            : "it is a device, not a regular file");
  }
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(parent, error))
    refuse("directory '" + parent.string() + "' does not exist");
  // The output is written beside the target under a temporary name, then renamed over it.
  if (::access(parent.c_str(), W_OK | X_OK) != 0)
    refuse("directory '" + parent.string() + "' is not writable");
  if (fs::exists(status))
    for (const auto& input : inputs)
      if (fs::equivalent(input, target, error))
        refuse("it is also an input of this command (" + input.string() + ")");
  return target;
}

}  // namespace icsim
