# Helpers shared by every module.

# efaas_test(NAME SOURCES... LIBS ...): a GoogleTest binary registered with CTest.
function(efaas_test name)
  # TIMEOUT (seconds) overrides ctest's default for this binary's tests (proofs on PoCL).
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  set(props ENVIRONMENT "EFAAS_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared")
  if(T_TIMEOUT)
    list(APPEND props TIMEOUT ${T_TIMEOUT})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()

# efaas_embed_text(OUT_VAR FILES...): turns each file into a generated .cpp that defines
# `extern const char* const <name>_source` so kernels travel inside the binary.
function(efaas_embed_text out_var)
  set(generated)
  foreach(file ${ARGN})
    get_filename_component(base ${file} NAME_WE)
    set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${base}.cpp)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DNAME=${base}
              -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
      DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
      COMMENT "Embedding ${base}")
    list(APPEND generated ${out})
  endforeach()
  set(${out_var} ${generated} PARENT_SCOPE)
endfunction()

# efaas_fuzzer(NAME SOURCES... LIBS ...): a libFuzzer target, built only with -DEFAAS_FUZZ=ON
# and clang (CC=clang CXX=clang++). Run: build-fuzz/fuzz/NAME [corpus dir] -max_total_time=60
function(efaas_fuzzer name)
  if(NOT EFAAS_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${F_LIBS})
endfunction()
