# CTest: the token hit count of `infercost run`'s prefix cache on one
# replica equals, exactly, what an independent script under tests/ counts
# for the same trace. The script prints a line holding
# "hit tokens=H of T (RATE)"; so does the run's Prefix cache line.
# Variables: PYTHON, IC_BIN, SCRIPT, TRACE, SCENARIO, SCRIPT_ARGS (after the
# trace, ';'-separated), OVERRIDES (-s values, ';'-separated).
set(pattern "hit tokens=[0-9]+ of [0-9]+ \\([0-9.]+\\)")
execute_process(COMMAND ${PYTHON} ${SCRIPT} ${TRACE} ${SCRIPT_ARGS} OUTPUT_VARIABLE ref RESULT_VARIABLE rc_py)
set(args run ${SCENARIO} -s traffic.trace_path=${TRACE})
foreach(o ${OVERRIDES})
  list(APPEND args -s ${o})
endforeach()
execute_process(COMMAND ${IC_BIN} ${args} OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc_ic)
if(NOT rc_py EQUAL 0 OR NOT rc_ic EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} exit ${rc_py}, infercost ${args} exit ${rc_ic}: ${err}")
endif()
string(REGEX MATCH "${pattern}" want "${ref}")
string(REGEX MATCH "Prefix cache[^\n]*" line "${text}")
string(REGEX MATCH "${pattern}" got "${line}")
if(want STREQUAL "" OR NOT got STREQUAL want)
  message(FATAL_ERROR "infercost ${args}:\n  ${line}\nreference ${SCRIPT}:\n  ${ref}")
endif()
message(STATUS "equal: ${got}")
