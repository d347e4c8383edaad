# Installs the built project into a scratch prefix, then configures, builds and runs a separate
# project that uses it only through find_package(TaskConductor).
#
# Every run also checks that the prefix stands alone: no installed text file (CMake package files,
# qmldir, .qmltypes, headers) and no RPATH names the build or source tree. A consumer that prints
# "loaded: <path>" lines (loadedlibraries.h) must have mapped TaskConductor files from the prefix
# only. With QML_DIR (the install's QML import directory, relative to the prefix) the consumer
# runs offscreen with QML_IMPORT_PATH naming that directory of the prefix and nothing else.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
    RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
    message(FATAL_ERROR "install failed: ${rc}")
endif()

file(GLOB_RECURSE installed LIST_DIRECTORIES false "${prefix}/*")
foreach(file IN LISTS installed)
    file(READ "${file}" magic LIMIT 4 HEX)
    if(magic STREQUAL "7f454c46") # ELF: its debug information names sources; its RPATH must not
        file(READ_ELF "${file}" RPATH rpath RUNPATH runpath)
        set(text "${rpath};${runpath}")
    else()
        file(READ "${file}" text)
    endif()
    foreach(tree "${BUILD_DIR}" "${SOURCE_DIR}")
        string(FIND "${text}" "${tree}" at)
        if(NOT at EQUAL -1)
            message(FATAL_ERROR "${file} names the tree ${tree}")
        endif()
    endforeach()
endforeach()

execute_process(COMMAND "${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build"
    -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${prefix}" RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "configuring the consumer failed: ${rc}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
    message(FATAL_ERROR "building the consumer failed: ${rc}")
endif()

set(environment --unset=QML2_IMPORT_PATH --unset=QML_IMPORT_PATH QT_QPA_PLATFORM=offscreen)
if(QML_DIR)
    list(APPEND environment "QML_IMPORT_PATH=${prefix}/${QML_DIR}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${environment} "${WORK_DIR}/build/consumer"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc OR NOT out MATCHES "consumer: finished")
    message(FATAL_ERROR "the consumer did not run a task: rc=${rc} out=${out} err=${err}")
endif()
string(REGEX MATCHALL "loaded: [^\n]*" loaded "${out}")
foreach(line IN LISTS loaded)
    string(REPLACE "loaded: " "" path "${line}")
    string(FIND "${path}" "${prefix}/" at)
    if(NOT at EQUAL 0)
        message(FATAL_ERROR "the consumer loaded ${path}, which is not in the prefix")
    endif()
endforeach()
message(STATUS "${out}")
