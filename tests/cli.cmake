# CLI tests of `npguard scan`. Included by tests/CMakeLists.txt.
#
#   cli_scan   tests/cli/test_cli.py runs the built program on files it generates with NumPy
#              (Debian's python3: numpy and jsonschema) and checks exit statuses, verdicts, the
#              JSON report against the schema in docs/scan-json.md and the SARIF report against
#              the OASIS schema in tests/data/sarif/, for every format and option.
if(NPG_PYTHON AND TARGET npguard)
  add_test(NAME cli_scan
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py
                   --npguard $<TARGET_FILE:npguard>
                   --work ${CMAKE_CURRENT_BINARY_DIR}/cli-work
                   --doc ${PROJECT_SOURCE_DIR}/docs/scan-json.md
                   --sarif-schema ${CMAKE_CURRENT_SOURCE_DIR}/data/sarif/sarif-schema-2.1.0.json)
  set_tests_properties(cli_scan PROPERTIES TIMEOUT 300 LABELS "cli")
elseif(TARGET npguard)
  message(WARNING "python3 not found: the npguard scan CLI tests are disabled")
endif()
