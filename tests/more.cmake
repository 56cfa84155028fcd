# Oracle and reference-vector tests (see tests/gen/README.md). Included by tests/CMakeLists.txt.
#
#   ctest -R oracle   random benign pickles made by CPython + NumPy at test time, decoded by
#                     npguard and by pickle.loads, canonical dumps compared (0 mismatches)
#   ctest -R refvec   tests/data/numpy-pickles: each file gets the verdict MANIFEST.json implies

# npgdump: decode or scan pickles and print a canonical dump (public API only).
add_executable(npgdump ${CMAKE_CURRENT_SOURCE_DIR}/tools/npgdump.c)
target_link_libraries(npgdump PRIVATE npguard_static)

if(NPG_PYTHON)
  # Needs python3-numpy (Debian's /usr/bin/python3); oracle.py says so when it is missing.
  add_test(NAME oracle
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/oracle.py
                   --npgdump $<TARGET_FILE:npgdump>
                   --out ${CMAKE_CURRENT_BINARY_DIR}/oracle)
  set_tests_properties(oracle PROPERTIES TIMEOUT 600 LABELS "oracle")

  # Reads MANIFEST.json and runs npgdump; never unpickles anything, needs no NumPy.
  add_test(NAME refvec
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/refvec.py
                   --npgdump $<TARGET_FILE:npgdump>
                   --data ${CMAKE_CURRENT_SOURCE_DIR}/data/numpy-pickles
                   --tmp ${CMAKE_CURRENT_BINARY_DIR}/refvec)
  set_tests_properties(refvec PROPERTIES TIMEOUT 300 LABELS "refvec")
else()
  message(WARNING "python3 not found: the oracle and refvec tests are not registered")
endif()

# cpytext: npguard's model of what CPython's unpickler reads from INT/LONG/FLOAT/GET/STRING
# text (src/pickle/text_cpython.c), compared with CPython itself on generated and edge-case lines.
add_executable(cpytext ${CMAKE_CURRENT_SOURCE_DIR}/tools/cpytext.c)
target_include_directories(cpytext PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(cpytext PRIVATE npguard_static)
if(NPG_PYTHON)
  add_test(NAME cpython_text
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/cpytext_check.py
                   --cpytext $<TARGET_FILE:cpytext>)
  set_tests_properties(cpython_text PROPERTIES TIMEOUT 300 LABELS "oracle")
endif()
