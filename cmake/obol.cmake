# Helpers shared by every part's CMakeLists.txt.

# obol_add_test(NAME SOURCES... [LIBS lib...])
# A Criterion test executable registered with ctest under NAME. Criterion forks one
# process per test by default; --jobs=1 keeps the output readable in CI logs.
function(obol_add_test name)
    cmake_parse_arguments(T "" "" "LIBS" ${ARGN})
    add_executable(${name} ${T_UNPARSED_ARGUMENTS})
    target_link_libraries(${name} PRIVATE PkgConfig::CRITERION ${T_LIBS})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME ${name} COMMAND ${name} --jobs=1 --short-filename)
endfunction()

# obol_add_bench(NAME SOURCES... [LIBS lib...])
# A benchmark executable in build/bench/; bench/run.sh runs every one of them.
function(obol_add_bench name)
    cmake_parse_arguments(B "" "" "LIBS" ${ARGN})
    add_executable(${name} ${B_UNPARSED_ARGUMENTS})
    target_link_libraries(${name} PRIVATE ${B_LIBS})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endfunction()
