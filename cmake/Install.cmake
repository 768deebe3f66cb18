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
