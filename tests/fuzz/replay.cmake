# The libFuzzer targets in the ordinary build (no fuzzing): each target of
# tests/fuzz/targets.txt links from its own source list with replay_main.cpp,
# and the test fuzz_seeds_<target> runs it over its seeds. A library source
# that gains a dependency not on a target's line fails this build, not CI's
# fuzz step (tests/fuzz/run.sh reads the same list). Included from the
# top-level CMakeLists.txt.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/fuzz/targets.txt")
file(STRINGS "${PROJECT_SOURCE_DIR}/tests/fuzz/targets.txt" MXDANE_FUZZ_LINES REGEX "^fuzz_")
set(MXDANE_FUZZ_OBJECTS "")
foreach(line IN LISTS MXDANE_FUZZ_LINES)
  string(REGEX REPLACE "[ \t]+" ";" words "${line}")
  list(POP_FRONT words target)
  set(objects "")
  set(libs "")
  foreach(w IN LISTS words)
    if(w MATCHES "^-l(.*)")
      list(APPEND libs "${CMAKE_MATCH_1}")
    else()
      # One object library per source, shared by every target that lists it.
      string(MAKE_C_IDENTIFIER "fuzzobj_${w}" obj)
      if(NOT obj IN_LIST MXDANE_FUZZ_OBJECTS)
        list(APPEND MXDANE_FUZZ_OBJECTS "${obj}")
        add_library(${obj} OBJECT "${PROJECT_SOURCE_DIR}/src/lib/${w}")
        target_include_directories(${obj} PRIVATE "${PROJECT_SOURCE_DIR}/include")
        target_link_libraries(${obj} PRIVATE mxdane_options nlohmann_json::nlohmann_json PkgConfig::LDNS
                                             PkgConfig::IDN2 OpenSSL::SSL)
        # After the library's own object of the same source, which ccache
        # then serves (the compile commands are equal).
        add_dependencies(${obj} mxdane_lib)
      endif()
      list(APPEND objects "$<TARGET_OBJECTS:${obj}>")
    endif()
  endforeach()
  add_executable(${target}_replay "${PROJECT_SOURCE_DIR}/tests/fuzz/${target}.cpp"
                                  "${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp" ${objects})
  target_include_directories(${target}_replay PRIVATE "${PROJECT_SOURCE_DIR}/include")
  target_link_libraries(${target}_replay PRIVATE mxdane_options ${libs})
  set(seeds "${PROJECT_SOURCE_DIR}/tests/fuzz/seeds/${target}")
  if(target STREQUAL "fuzz_load")
    set(seeds "${PROJECT_SOURCE_DIR}/tests/data/corpus")
  elseif(target STREQUAL "fuzz_rrset_ldns")
    set(seeds "${PROJECT_SOURCE_DIR}/tests/fuzz/seeds/fuzz_rrset")
  endif()
  add_test(NAME fuzz_seeds_${target} COMMAND ${target}_replay "${seeds}")
  set_tests_properties(fuzz_seeds_${target} PROPERTIES LABELS unit)
endforeach()
