# The man page renders, and groff has nothing to say about it (every warning enabled).
execute_process(COMMAND ${GROFF} -man -ww -z ${PAGE}
    RESULT_VARIABLE result ERROR_VARIABLE warnings)
if(NOT result EQUAL 0 OR NOT warnings STREQUAL "")
    message(FATAL_ERROR "groff -man -ww ${PAGE} (exit ${result}):\n${warnings}")
endif()
execute_process(COMMAND ${GROFF} -man -Tascii -P-b -P-o -P-u ${PAGE} RESULT_VARIABLE result OUTPUT_VARIABLE text)
foreach(section "NAME" "SYNOPSIS" "REPLACEMENT STRINGS" "--halt" "--results" "EXIT STATUS")
    string(FIND "${text}" "${section}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "${PAGE} renders without \"${section}\"")
    endif()
endforeach()
