# `cmake --install` puts the CLI, the headers and an exported CMake package in place, so that
# another project can find_package(icsim) and link icsim::core.
include(CMakePackageConfigHelpers)
install(TARGETS icsim_core icsim_options EXPORT icsimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS icsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir agents network experiments output)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/icsim/${dir}
    FILES_MATCHING PATTERN "*.hpp" PATTERN "python" EXCLUDE PATTERN "notebooks" EXCLUDE
    PATTERN "scenarios" EXCLUDE PATTERN "cluster" EXCLUDE)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/icsim/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/icsim/icsim)
install(EXPORT icsimTargets NAMESPACE icsim:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/icsim)
configure_package_config_file(cmake/icsimConfig.cmake.in ${PROJECT_BINARY_DIR}/icsimConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/icsim)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/icsimConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/icsimConfig.cmake ${PROJECT_BINARY_DIR}/icsimConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/icsim)

# The Python package with the module icsim._core beside it, in Python's directory for compiled
# packages under the prefix (lib/python3.X/dist-packages on Debian; /usr/local's is on its
# sys.path, another prefix's goes on PYTHONPATH).
if(ICSIM_PYTHON_MODULE)
  if(NOT ICSIM_PYTHON_INSTALL_DIR)
    execute_process(COMMAND ${Python3_EXECUTABLE} -c
      "import sysconfig; p = sysconfig.get_path('platlib', vars={'platbase': '/P', 'base': '/P'}); print(p.replace('/P/local/', '').replace('/P/', ''))"
      OUTPUT_VARIABLE platlib OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(ICSIM_PYTHON_INSTALL_DIR "${platlib}" CACHE PATH
      "Where `cmake --install` puts the icsim Python package and module, under the prefix")
  endif()
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/output/python/icsim DESTINATION ${ICSIM_PYTHON_INSTALL_DIR}
    FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
  install(TARGETS icsim_python LIBRARY DESTINATION ${ICSIM_PYTHON_INSTALL_DIR}/icsim)
endif()
