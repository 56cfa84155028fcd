# Zip / .npz tests. Included by tests/CMakeLists.txt after the test_* executables exist.
#
#   zip_gen       make_zip.py writes the accepted and hostile archives into zipdata/ (NumPy 1.24 +
#                 zipfile, at test time; nothing generated is committed)
#   test_zip      the cmocka suite: reader, limits, writer (writes zipdata/written/)
#   zip_numpy     numpy.load(allow_pickle=False) reads every archive the writer produced

set(NPG_ZIP_DATA ${CMAKE_CURRENT_BINARY_DIR}/zipdata)
if(TARGET test_zip)
  target_compile_definitions(test_zip PRIVATE NPG_ZIP_DATA="${NPG_ZIP_DATA}")
endif()

if(NPG_PYTHON AND TARGET test_zip)
  add_test(NAME zip_gen
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/make_zip.py --out ${NPG_ZIP_DATA})
  set_tests_properties(zip_gen PROPERTIES FIXTURES_SETUP zipdata TIMEOUT 300)
  set_tests_properties(test_zip PROPERTIES FIXTURES_REQUIRED zipdata FIXTURES_SETUP zipwritten
                       TIMEOUT 600)
  add_test(NAME zip_numpy
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/make_zip.py --check ${NPG_ZIP_DATA})
  set_tests_properties(zip_numpy PROPERTIES FIXTURES_REQUIRED "zipdata;zipwritten" TIMEOUT 300)
elseif(TARGET test_zip)
  message(WARNING "python3 not found: test_zip runs without its generated archives")
endif()
