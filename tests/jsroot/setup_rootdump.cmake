# The jsroot.setup test (CTest fixture "jsroot"): copies tests/tools/rootdump into the build
# folder and runs `npm ci` there when package-lock.json changed since the last install (a
# stamp in node_modules), so JSROOT 7.11.2 is installed once per build folder. Any failure
# (no node or npm, node too old, npm ci failing offline) fails the test with the reason; the
# cross-check tests that need it are then not run and count as failed, never as skipped.
# Run as: cmake -DSOURCE=<rootdump dir> -DDEST=<build dir> -DNODE=<node> -DNPM=<npm> -P this
cmake_minimum_required(VERSION 3.25)

foreach(var SOURCE DEST NODE NPM)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "setup_rootdump.cmake: -D${var}=... is required")
  endif()
endforeach()

set(hint "The JSROOT cross-check needs Node.js >= 18 and npm: run scripts/install-deps.sh \
(Debian 12: apt-get install nodejs npm), then re-run cmake so that it finds them.")
foreach(tool NODE NPM)
  if(NOT ${tool} OR ${tool} MATCHES "NOTFOUND$" OR NOT EXISTS "${${tool}}")
    string(TOLOWER ${tool} name)
    message(FATAL_ERROR "jsroot.setup: ${name} was not found when CMake configured this build "
                        "('${${tool}}'). ${hint}")
  endif()
endforeach()

execute_process(COMMAND "${NODE}" --version OUTPUT_VARIABLE node_version
                RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0 OR NOT node_version MATCHES "^v([0-9]+)\\.")
  message(FATAL_ERROR "jsroot.setup: '${NODE} --version' failed (${rc}: ${node_version}). ${hint}")
endif()
set(node_major ${CMAKE_MATCH_1})
if(node_major LESS 18)
  message(FATAL_ERROR "jsroot.setup: node ${node_version} is too old (JSROOT needs 18+). ${hint}")
endif()

# Copied on every run so that an edited rootdump.mjs is what the tests run.
file(MAKE_DIRECTORY "${DEST}")
foreach(name rootdump.mjs package.json package-lock.json .npmrc)
  if(NOT EXISTS "${SOURCE}/${name}")
    message(FATAL_ERROR "jsroot.setup: ${SOURCE}/${name} is missing")
  endif()
  file(COPY_FILE "${SOURCE}/${name}" "${DEST}/${name}" ONLY_IF_DIFFERENT)
endforeach()

# What the install depends on; node's major version too, as npm ci may pick other builds.
file(SHA256 "${DEST}/package-lock.json" lock_hash)
file(SHA256 "${DEST}/.npmrc" npmrc_hash)
set(stamp_text "${lock_hash} ${npmrc_hash} node ${node_major}")
set(stamp "${DEST}/node_modules/.hepflow-install-stamp")
if(EXISTS "${stamp}" AND EXISTS "${DEST}/node_modules/jsroot/package.json")
  file(READ "${stamp}" previous)
  if(previous STREQUAL stamp_text)
    message(STATUS "jsroot.setup: JSROOT already installed in ${DEST} (node ${node_version})")
    return()
  endif()
endif()

message(STATUS "jsroot.setup: npm ci in ${DEST} (node ${node_version})")
# --prefer-offline: the npm cache is enough when it holds the locked packages (no network).
execute_process(COMMAND "${NPM}" ci --prefer-offline --no-audit --no-fund
                WORKING_DIRECTORY "${DEST}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE npm_out ERROR_VARIABLE npm_out)
if(NOT rc EQUAL 0)
  string(LENGTH "${npm_out}" length)
  if(length GREATER 3000)
    math(EXPR start "${length} - 3000")
    string(SUBSTRING "${npm_out}" ${start} 3000 npm_out)
  endif()
  message(FATAL_ERROR "jsroot.setup: 'npm ci' failed in ${DEST} (exit ${rc}). It needs the "
                      "network or an npm cache holding jsroot 7.11.2 and its dependencies "
                      "(package-lock.json). npm said:\n${npm_out}")
endif()

# JSROOT must load, not only unpack.
execute_process(COMMAND "${NODE}" --input-type=module -e "await import('jsroot');"
                WORKING_DIRECTORY "${DEST}" RESULT_VARIABLE rc ERROR_VARIABLE import_err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "jsroot.setup: JSROOT was installed but does not load:\n${import_err}")
endif()
file(WRITE "${stamp}" "${stamp_text}")
message(STATUS "jsroot.setup: JSROOT installed in ${DEST}")
