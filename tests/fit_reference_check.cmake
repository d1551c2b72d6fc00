# CTest: the arrival lines of `infercost trace fit` (arrival_cv, rate_profile,
# rate_profile_bin_s) equal, byte for byte, those of the independent
# tests/fit_reference.py, for each trace in TRACES (';'-separated).
# Variables: PYTHON, IC_BIN, TRACES.
foreach(trace ${TRACES})
  execute_process(COMMAND ${PYTHON} ${CMAKE_CURRENT_LIST_DIR}/fit_reference.py ${trace}
                  OUTPUT_VARIABLE want RESULT_VARIABLE rc_py)
  execute_process(COMMAND ${IC_BIN} trace fit ${trace} OUTPUT_VARIABLE fit RESULT_VARIABLE rc_ic)
  if(NOT rc_py EQUAL 0 OR NOT rc_ic EQUAL 0)
    message(FATAL_ERROR "${trace}: fit_reference.py exit ${rc_py}, infercost trace fit exit ${rc_ic}")
  endif()
  string(REGEX MATCHALL "(arrival_cv|rate_profile|rate_profile_bin_s) = [^\n]*\n" lines "${fit}")
  string(REPLACE ";" "" got "${lines}")
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "${trace}:\ninfercost:\n${got}reference:\n${want}")
  endif()
  message(STATUS "${trace}: equal\n${got}")
endforeach()
