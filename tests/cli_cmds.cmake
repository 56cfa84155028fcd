# Tests of the show, dis and convert commands (tests/cli_cmds/). Included by tests/CMakeLists.txt.
#
#   cli_cmds   tests/cli_cmds/test_cli_cmds.py runs the npguard program on files NumPy and
#              CPython write at test time (never loaded when unsafe), compares dis with
#              pickletools and convert's output with numpy.load(allow_pickle=False)
if(NPG_PYTHON AND TARGET npguard)
  add_test(NAME cli_cmds
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/cli_cmds/test_cli_cmds.py
                   --npguard $<TARGET_FILE:npguard>
                   --tmp ${CMAKE_CURRENT_BINARY_DIR}/cli_cmds)
  set_tests_properties(cli_cmds PROPERTIES TIMEOUT 300 LABELS "cli")
elseif(NOT NPG_PYTHON)
  message(WARNING "python3 not found: the cli_cmds test is not registered")
endif()
