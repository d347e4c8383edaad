# Timeouts, grace periods and retry delays must use monotonic clocks only: fails if the core
# library's sources call a wall clock. Run by ctest as check_monotonic_clocks.
file(GLOB_RECURSE sources "${SOURCE_DIR}/src/*.cpp" "${SOURCE_DIR}/src/*.h"
    "${SOURCE_DIR}/include/*.h")
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
message(STATUS "no wall-clock calls in ${CMAKE_CURRENT_LIST_DIR}/../src")
