# "A false alarm on a real file is a bug". Included by tests/CMakeLists.txt.
#
#   realfiles  tests/realfiles/test_realfiles.py scans Debian's NumPy package
#              (/usr/lib/python3/dist-packages/numpy) and the standard library of ${NPG_PYTHON}
#              (/usr/lib/python3.11) with `npguard scan --format json --jobs 2`, and fails when
#              a text/source file or one of NumPy's own data files is unsafe or invalid, listing
#              each with its findings. Skipped (exit status 77) when a tree is not installed.
#              tests/realfiles/README.md explains it, and the survey.py beside it (not a test).
if(NPG_PYTHON AND TARGET npguard)
  add_test(NAME realfiles
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/realfiles/test_realfiles.py
                   --npguard $<TARGET_FILE:npguard>
                   --work ${CMAKE_CURRENT_BINARY_DIR}/realfiles-work
                   --jobs 2)
  set_tests_properties(realfiles PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS "realfiles")
elseif(TARGET npguard)
  message(WARNING "python3 not found: the realfiles test is not registered")
endif()
