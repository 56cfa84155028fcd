# Differential tests of `npguard scan` against CPython's own unpickler and numpy.load
# (tests/equiv/README.md). Included by tests/CMakeLists.txt.
#
#   ctest -L equiv   equiv_pickle: 50,000 generated, mutated and text inputs; every verdict must
#                    follow what CPython's C unpickler (restricted to the README's allowlist, in
#                    child processes) does with the same bytes
#                    equiv_npy: 10,000 .npy/.npz files against numpy.load
#
# Needs Debian's python3 with python3-numpy (NPG_PYTHON). Scratch files go to the build tree and
# are deleted batch by batch.
if(NPG_PYTHON AND TARGET npguard)
  set(NPG_EQUIV ${CMAKE_CURRENT_SOURCE_DIR}/equiv/run_equiv.py)
  add_test(NAME equiv_pickle
           COMMAND ${NPG_PYTHON} ${NPG_EQUIV} --npguard $<TARGET_FILE:npguard>
                   --work ${CMAKE_CURRENT_BINARY_DIR}/equiv-pickle
                   --readme ${PROJECT_SOURCE_DIR}/README.md
                   --ref-dir ${CMAKE_CURRENT_SOURCE_DIR}/data/numpy-pickles
                   --cases 50000 --seed 1)
  add_test(NAME equiv_npy
           COMMAND ${NPG_PYTHON} ${NPG_EQUIV} --npguard $<TARGET_FILE:npguard>
                   --work ${CMAKE_CURRENT_BINARY_DIR}/equiv-npy
                   --readme ${PROJECT_SOURCE_DIR}/README.md
                   --npy --cases 10000 --seed 1)
  set_tests_properties(equiv_pickle equiv_npy PROPERTIES TIMEOUT 600 PROCESSORS 2 LABELS "equiv")
elseif(TARGET npguard)
  message(WARNING "python3 not found: the equiv tests are not registered")
endif()
