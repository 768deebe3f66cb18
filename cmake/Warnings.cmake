# Warnings and sanitizers, applied to icsim's own targets only.
add_library(icsim_options INTERFACE)
target_compile_options(icsim_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion)
# GCC 12 warns falsely on std::string concatenation at -O3 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(icsim_options INTERFACE -Wno-restrict)
endif()
if(ICSIM_WARNINGS_AS_ERRORS)
  target_compile_options(icsim_options INTERFACE -Werror)
endif()
if(ICSIM_SANITIZE)
  # GCC's flow analysis gives false maybe-uninitialized warnings under sanitizer instrumentation
  # (in libstdc++'s std::function and std::regex, not our code).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(icsim_options INTERFACE -Wno-maybe-uninitialized)
  endif()
  target_compile_options(icsim_options INTERFACE -fsanitize=${ICSIM_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(icsim_options INTERFACE -fsanitize=${ICSIM_SANITIZE})
endif()
if(ICSIM_FUZZ)  # coverage for libFuzzer in everything icsim builds; the harnesses add its main
  target_compile_options(icsim_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
