# The fuzz targets and how the suite runs them, shared by the fuzz tree (which
# builds them) and the test tree (which runs them from CONTAIN_FUZZ_TARGETS_DIR).
set(CONTAIN_FUZZ_TARGETS ip units names netns_ref container forward state topology cni security
    batch cgroups idmap)
# How long the suite runs each target; scripts/fuzz runs them longer.
set(CONTAIN_FUZZ_SECONDS 5 CACHE STRING "Seconds each fuzz target runs in ctest")
set(CONTAIN_FUZZ_SOURCE_DIR ${CMAKE_CURRENT_LIST_DIR})

function(contain_add_fuzz_test target binary)
  add_test(NAME fuzz.${target}
           COMMAND ${CONTAIN_FUZZ_SOURCE_DIR}/run ${binary}
                   ${CONTAIN_FUZZ_SOURCE_DIR}/corpus/${target} ${CMAKE_BINARY_DIR}/fuzz-work
                   ${CONTAIN_FUZZ_SECONDS})
  set_tests_properties(fuzz.${target} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()
