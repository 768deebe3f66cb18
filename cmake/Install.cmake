# `cmake --install` puts the CLI, the headers and an exported CMake package in place, so that
# another project can find_package(icsim) and link icsim::core.
include(CMakePackageConfigHelpers)
install(TARGETS icsim_core icsim_options EXPORT icsimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS icsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir agents network experiments output)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/icsim/${dir}
    FILES_MATCHING PATTERN "*.hpp" PATTERN "python" EXCLUDE PATTERN "notebooks" EXCLUDE
    PATTERN "scenarios" EXCLUDE PATTERN "cluster" EXCLUDE
    PATTERN "toml_input.hpp" EXCLUDE)  # needs toml++, which icsim::core links privately
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/icsim/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/icsim/icsim)
install(EXPORT icsimTargets NAMESPACE icsim:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/icsim)
configure_package_config_file(cmake/icsimConfig.cmake.in ${PROJECT_BINARY_DIR}/icsimConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/icsim)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/icsimConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/icsimConfig.cmake ${PROJECT_BINARY_DIR}/icsimConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/icsim)

# The Python package (output/python/icsim), where Debian's python3 looks for a prefix's packages:
# lib/python3.X/dist-packages (on sys.path for /usr/local). Elsewhere, point PYTHONPATH at it, or
# set ICSIM_PYTHON_INSTALL_DIR. pip installs it too (output/python/pyproject.toml).
if(NOT DEFINED ICSIM_PYTHON_INSTALL_DIR)
  set(python_name python3)
  if(EXISTS /usr/bin/python3)
    execute_process(COMMAND /usr/bin/python3 -c "import sys; print(f'python3.{sys.version_info[1]}')"
      OUTPUT_VARIABLE python_name OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  set(ICSIM_PYTHON_INSTALL_DIR lib/${python_name}/dist-packages)
endif()
set(ICSIM_PYTHON_INSTALL_DIR ${ICSIM_PYTHON_INSTALL_DIR} CACHE PATH
  "where cmake --install puts the icsim Python package (relative: under the prefix)")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/output/python/icsim DESTINATION ${ICSIM_PYTHON_INSTALL_DIR}
  PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE)
if(ICSIM_PYTHON_MODULE)  # the compiled module icsim._core, beside the package
  install(TARGETS icsim_python LIBRARY DESTINATION ${ICSIM_PYTHON_INSTALL_DIR}/icsim)
endif()
