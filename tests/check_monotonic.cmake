# Timeouts, grace periods and retry delays must use monotonic clocks only: fails if the code
# that schedules, times and stops tasks calls a wall clock. (Log lines and the store carry
# wall-clock timestamps on purpose; they decide nothing.) Run by ctest as check_monotonic_clocks.
# Every file of the scheduling core and of the local executor, so that a new file is checked too.
file(GLOB sources "${SOURCE_DIR}/src/core/*.cpp" "${SOURCE_DIR}/src/core/*.h"
    "${SOURCE_DIR}/src/local/*.cpp" "${SOURCE_DIR}/src/local/*.h")
list(APPEND sources "${SOURCE_DIR}/include/taskconductor/retrypolicy.h"
    "${SOURCE_DIR}/include/taskconductor/broker.h")
set(wall_clock_calls
    "QDateTime::current" "QTime::current" "system_clock" "gettimeofday" "time(nullptr)"
    "time(NULL)" "CLOCK_REALTIME" "QDeadlineTimer::current")
set(found "")
foreach(source IN LISTS sources)
    file(READ "${source}" text)
    foreach(call IN LISTS wall_clock_calls)
        string(FIND "${text}" "${call}" at)
        if(NOT at EQUAL -1)
            list(APPEND found "${source}: ${call}")
        endif()
    endforeach()
endforeach()
if(found)
    message(FATAL_ERROR "wall-clock calls in the core library:\n${found}")
endif()
message(STATUS "no wall-clock calls in the scheduling code")
