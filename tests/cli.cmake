# CLI tests of `npguard scan`. Included by tests/CMakeLists.txt.
#
#   cli_scan     tests/cli/test_cli.py runs the built program on files it generates with NumPy
#                (Debian's python3: numpy and jsonschema) and checks exit statuses, verdicts, the
#                JSON report against the schema in docs/scan-json.md and the SARIF report against
#                the OASIS schema in tests/data/sarif/, for every format and option.
#   cli_strings  tests/cli/test_strings.py feeds the report's string writers (exact globals in
#                JSON, paths, terminal escapes) any bytes through tests/cli/strings_driver.c.
if(NPG_PYTHON AND TARGET npguard)
  add_test(NAME cli_scan
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py
                   --npguard $<TARGET_FILE:npguard>
                   --work ${CMAKE_CURRENT_BINARY_DIR}/cli-work
                   --doc ${PROJECT_SOURCE_DIR}/docs/scan-json.md
                   --sarif-schema ${CMAKE_CURRENT_SOURCE_DIR}/data/sarif/sarif-schema-2.1.0.json)
  set_tests_properties(cli_scan PROPERTIES TIMEOUT 300 LABELS "cli")

  add_executable(cli_strings_driver ${CMAKE_CURRENT_SOURCE_DIR}/cli/strings_driver.c
                 ${PROJECT_SOURCE_DIR}/src/cli/report_escape.c ${PROJECT_SOURCE_DIR}/src/cli/report_global.c)
  target_include_directories(cli_strings_driver PRIVATE ${PROJECT_SOURCE_DIR}/src/cli)
  target_link_libraries(cli_strings_driver PRIVATE npguard_static)
  add_test(NAME cli_strings
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_strings.py
                   --driver $<TARGET_FILE:cli_strings_driver>)
  set_tests_properties(cli_strings PROPERTIES TIMEOUT 60 LABELS "cli")
elseif(TARGET npguard)
  message(WARNING "python3 not found: the npguard scan CLI tests are disabled")
endif()
