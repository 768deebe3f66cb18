// Where icsim's commands write: an output replaces a regular file (through a symbolic link, the
// file it points to), never a directory, a device, a FIFO or one of the command's own inputs.
#pragma once

#include <filesystem>
#include <vector>

namespace icsim {

// The file to write for the output `path`: `path` itself, or the regular file that a symbolic
// link at `path` points to (the link stays; its target is replaced). Throws InputError, one line
// naming `path`, when it is (or links to) something other than a regular file, when the link
// leads nowhere, when its directory is missing or not writable, and when it is one of `inputs`
// by any name.
std::filesystem::path check_output(const std::filesystem::path& path,
                                   const std::vector<std::filesystem::path>& inputs);

}  // namespace icsim
