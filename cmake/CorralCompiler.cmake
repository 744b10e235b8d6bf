# Warnings and sanitizers shared by every corral target (applied through corral_options).
add_library(corral_options INTERFACE)
target_compile_options(corral_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wimplicit-fallthrough -Wformat=2)
target_compile_definitions(corral_options INTERFACE _FILE_OFFSET_BITS=64)

if(CORRAL_SANITIZE)
  string(REPLACE ";" "," _san "${CORRAL_SANITIZE}")
  target_compile_options(corral_options INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=all)
  target_link_options(corral_options INTERFACE -fsanitize=${_san})
endif()

find_package(Threads REQUIRED)
target_link_libraries(corral_options INTERFACE Threads::Threads)

# GCC 12 reports -Wrestrict / -Wstringop-overflow inside libstdc++'s inlined string and vector
# code for ordinary concatenations and inserts (GCC bugs 105329, 105651): false positives.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(corral_options INTERFACE -Wno-restrict -Wno-stringop-overflow)
endif()

# Fuzz builds instrument every library for coverage; only fuzz targets link the fuzzer's main.
if(CORRAL_BUILD_FUZZ)
  target_compile_options(corral_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
