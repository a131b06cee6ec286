# rcgc allocator backends: mimalloc when available.
#
# mimalloc is not linked: Debian's libmimalloc.so also exports malloc/free,
# so linking it would replace glibc malloc in every program using rcgc. rcgc
# opens it with dlopen(RTLD_LOCAL) when RCGC_MALLOC asks for it; the build
# only needs to know it is installed (header + shared library).
find_path(RCGC_MIMALLOC_INCLUDE_DIR mimalloc.h)
find_library(RCGC_MIMALLOC_LIBRARY NAMES mimalloc)
if(RCGC_MIMALLOC_INCLUDE_DIR AND RCGC_MIMALLOC_LIBRARY)
  get_filename_component(rcgc_mimalloc_real "${RCGC_MIMALLOC_LIBRARY}" REALPATH)
  get_filename_component(rcgc_mimalloc_name "${rcgc_mimalloc_real}" NAME)
  # libmimalloc.so.2.0 -> soname libmimalloc.so.2
  string(REGEX REPLACE "^(libmimalloc\\.so\\.[0-9]+).*$" "\\1" rcgc_mimalloc_soname
         "${rcgc_mimalloc_name}")
  message(STATUS "rcgc: mimalloc backend available (${rcgc_mimalloc_soname}, loaded at run time)")
  target_compile_definitions(rcgc PRIVATE RCGC_HAVE_MIMALLOC
                             RCGC_MIMALLOC_SONAME="${rcgc_mimalloc_soname}")
else()
  message(STATUS "rcgc: mimalloc not found: RCGC_MALLOC=mimalloc will be refused "
                 "(install libmimalloc-dev)")
endif()
target_link_libraries(rcgc PRIVATE ${CMAKE_DL_LIBS})
