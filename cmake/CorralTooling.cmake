# `format` rewrites sources with clang-format; `lint` runs clang-tidy with the repo's .clang-tidy
# over the compilation database.
file(GLOB_RECURSE CORRAL_FORMAT_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/src/*.cpp ${CMAKE_SOURCE_DIR}/src/*.h
  ${CMAKE_SOURCE_DIR}/tests/*.cpp ${CMAKE_SOURCE_DIR}/tests/*.h
  ${CMAKE_SOURCE_DIR}/bench/*.cpp ${CMAKE_SOURCE_DIR}/fuzz/*.cpp)

find_program(CLANG_FORMAT clang-format)
if(CLANG_FORMAT)
  add_custom_target(format COMMAND ${CLANG_FORMAT} -i ${CORRAL_FORMAT_SOURCES}
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} COMMENT "clang-format")
  add_custom_target(format-check COMMAND ${CLANG_FORMAT} --dry-run -Werror ${CORRAL_FORMAT_SOURCES}
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} COMMENT "clang-format check")
endif()

find_program(RUN_CLANG_TIDY run-clang-tidy)
find_program(CLANG_TIDY clang-tidy)
if(RUN_CLANG_TIDY AND CLANG_TIDY)
  add_custom_target(lint COMMAND ${RUN_CLANG_TIDY} -quiet -p ${CMAKE_BINARY_DIR} "${CMAKE_SOURCE_DIR}/src/.*\\.cpp$"
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} COMMENT "clang-tidy")
elseif(CLANG_TIDY)
  file(GLOB_RECURSE CORRAL_LINT_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*.cpp)
  add_custom_target(lint COMMAND ${CLANG_TIDY} -quiet -p ${CMAKE_BINARY_DIR} ${CORRAL_LINT_SOURCES}
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} COMMENT "clang-tidy")
endif()
