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
# icsim._core (ICSIM_PYTHON): Debian's pybind11-dev and python3-dev, for Debian's interpreter,
# whose numpy, pandas, xarray and h5py the icsim package uses.
set(ICSIM_PYTHON_MODULE OFF)
if(ICSIM_PYTHON)
  if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "Python the module is built for")
  endif()
  find_package(Python3 COMPONENTS Interpreter Development.Module)
  if(Python3_FOUND)
    find_package(pybind11 2.10 CONFIG QUIET)
  endif()
  if(Python3_FOUND AND pybind11_FOUND)
    set(ICSIM_PYTHON_MODULE ON)
  else()
    message(STATUS "icsim._core is not built: it needs pybind11 and Python 3's headers "
                   "(apt install pybind11-dev python3-dev)")
  endif()
endif()
