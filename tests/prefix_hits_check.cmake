# CTest: the prefix-block line of `infercost trace stats` equals, byte for
# byte, what the independent tests/prefix_hits.py counts on the same trace.
# Variables: PYTHON, IC_BIN, TRACE.
execute_process(COMMAND ${PYTHON} ${CMAKE_CURRENT_LIST_DIR}/prefix_hits.py ${TRACE}
                OUTPUT_VARIABLE want RESULT_VARIABLE rc_py)
execute_process(COMMAND ${IC_BIN} trace stats ${TRACE} OUTPUT_VARIABLE stats RESULT_VARIABLE rc_ic)
if(NOT rc_py EQUAL 0 OR NOT rc_ic EQUAL 0)
  message(FATAL_ERROR "prefix_hits.py exit ${rc_py}, infercost trace stats exit ${rc_ic}")
endif()
string(REGEX MATCH "prefix blocks[^\n]*\n" got "${stats}")
if(NOT got STREQUAL want)
  message(FATAL_ERROR "infercost: ${got}reference: ${want}")
endif()
message(STATUS "equal: ${got}")
