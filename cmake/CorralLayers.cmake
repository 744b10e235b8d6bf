# One static library per layer. A layer's headers are reachable only through its own include
# root (build/layers/<name>/<name> -> src/<name>), which a target gets by linking the layer. So a
# layer that includes a header of a layer above it (one it does not link) fails to compile.
set(CORRAL_LAYER_ROOT ${CMAKE_BINARY_DIR}/layers)

function(corral_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target corral_${name})
  add_library(${target} STATIC ${ARG_SOURCES})
  set(root ${CORRAL_LAYER_ROOT}/${name})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${name})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${name} ${root}/${name} SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC ${root})
  target_link_libraries(${target} PUBLIC corral_options ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
