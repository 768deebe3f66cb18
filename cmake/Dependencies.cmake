# Every dependency comes from a Debian 12 package; nothing is vendored or downloaded.
find_package(Boost 1.74 REQUIRED)          # Boost.Graph is header-only here
find_package(TBB REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C HL)
find_package(ZLIB REQUIRED)               # the sweep recorder deflates chunks itself
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(Threads REQUIRED)
if(ICSIM_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()
