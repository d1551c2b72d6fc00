# CTest: lines that `infercost trace VERB` prints equal, byte for byte, what
# an independent script under tests/ prints for the same trace.
# Variables: PYTHON, SCRIPT (tests/NAME.py), IC_BIN, VERB (stats or fit),
# TRACES (';'-separated), LINES (a regex matching the compared lines).
foreach(trace ${TRACES})
  execute_process(COMMAND ${PYTHON} ${SCRIPT} ${trace} OUTPUT_VARIABLE want RESULT_VARIABLE rc_py)
  execute_process(COMMAND ${IC_BIN} trace ${VERB} ${trace} OUTPUT_VARIABLE text RESULT_VARIABLE rc_ic)
  if(NOT rc_py EQUAL 0 OR NOT rc_ic EQUAL 0)
    message(FATAL_ERROR "${trace}: ${SCRIPT} exit ${rc_py}, infercost trace ${VERB} exit ${rc_ic}")
  endif()
  string(REGEX MATCHALL "${LINES}[^\n]*\n" lines "${text}")
  string(REPLACE ";" "" got "${lines}")
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "${trace}:\ninfercost:\n${got}reference:\n${want}")
  endif()
  message(STATUS "${trace}: equal\n${got}")
endforeach()
