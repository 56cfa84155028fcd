# .npy/.npz tests. Included by tests/CMakeLists.txt.
#
#   npy_data           tests/gen/make_npy.py writes .npy/.npz files with NumPy (fixed seeds) and a
#                      manifest of what numpy.load returned into the build tree
#   test_npy           loads them all (and refused variants) and writes arrays back
#   npy_written_numpy  numpy.load(allow_pickle=False) of what test_npy wrote
#   test_npz           .npz members and whole-archive validation on the same data
#   test_npy_legacy    files as older NumPy wrote them, and headers only NumPy's reader accepts
set(NPG_NPY_DATA ${CMAKE_CURRENT_BINARY_DIR}/npy-data)
set(NPG_NPY_WRITTEN ${CMAKE_CURRENT_BINARY_DIR}/npy-written)

if(NPG_PYTHON)
  add_test(NAME npy_data
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/make_npy.py gen --out ${NPG_NPY_DATA})
  set_tests_properties(npy_data PROPERTIES FIXTURES_SETUP npy_data TIMEOUT 300 LABELS "npy")

  foreach(t test_npy test_npz test_npy_legacy)
    if(TEST ${t})
      set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT
                   "NPG_NPY_DATA=${NPG_NPY_DATA}" "NPG_NPY_WRITTEN=${NPG_NPY_WRITTEN}")
      set_tests_properties(${t} PROPERTIES FIXTURES_REQUIRED npy_data TIMEOUT 900 LABELS "unit;npy")
    endif()
  endforeach()
  if(TEST test_npy)
    set_tests_properties(test_npy PROPERTIES FIXTURES_SETUP npy_written)
  endif()

  add_test(NAME npy_written_numpy
           COMMAND ${NPG_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/gen/make_npy.py check --dir ${NPG_NPY_WRITTEN})
  set_tests_properties(npy_written_numpy PROPERTIES FIXTURES_REQUIRED "npy_data;npy_written" TIMEOUT 300
                       LABELS "npy")
else()
  message(WARNING "python3 not found: the .npy/.npz tests have no data and are disabled")
  foreach(t test_npy test_npz test_npy_legacy)
    if(TEST ${t})
      set_tests_properties(${t} PROPERTIES DISABLED TRUE)
    endif()
  endforeach()
endif()
