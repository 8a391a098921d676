# Install like a Debian tool: binary, libraries and headers, win2cloud.pc, man
# pages (section 1, from docs/man/*.md with lowdown), bash completion (from the
# built binary's --help), and a .deb (CPack, scripts/build-deb.sh).
include(GNUInstallDirs)

find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(W2C_DOC_TOOL ${PROJECT_SOURCE_DIR}/cmake/w2cdoc.py)

install(TARGETS win2cloud_cli win2cloud win2cloud_static)
install(FILES include/win2cloud.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/win2cloud DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# --- pkg-config: the modules of W2C_DEPS are what a static link needs.
set(W2C_PC_REQUIRES_PRIVATE)
foreach(dep IN LISTS W2C_DEPS)
  string(REPLACE "|" ";" parts "${dep}")
  list(GET parts 1 mod)
  list(APPEND W2C_PC_REQUIRES_PRIVATE ${mod})
endforeach()
list(JOIN W2C_PC_REQUIRES_PRIVATE " " W2C_PC_REQUIRES_PRIVATE)
# The prefix is the one of the install (cmake --install --prefix P, cpack's
# /usr), not the configured one, so win2cloud.pc is written at install time.
set(W2C_PC_PREFIX @W2C_PC_PREFIX@)
configure_file(${PROJECT_SOURCE_DIR}/cmake/win2cloud.pc.in ${CMAKE_BINARY_DIR}/win2cloud.pc.in @ONLY)
install(CODE "
  set(W2C_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/win2cloud.pc.in\" \"${CMAKE_BINARY_DIR}/pc/win2cloud.pc\" @ONLY)")
install(FILES ${CMAKE_BINARY_DIR}/pc/win2cloud.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- man pages: docs/man/NAME.md -> man/NAME.1 (and NAME.1.gz, installed).
option(W2C_MAN "Generate and install the man pages (needs lowdown)" ON)
if(W2C_MAN)
  find_program(W2C_LOWDOWN lowdown)
  if(NOT W2C_LOWDOWN)
    message(FATAL_ERROR "lowdown not found: install the Debian package 'lowdown' "
                        "(scripts/setup.sh does this), or configure with -DW2C_MAN=OFF")
  endif()
  file(GLOB W2C_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.md)
  set(W2C_MAN_PAGES)
  foreach(md IN LISTS W2C_MAN_SOURCES)
    get_filename_component(name ${md} NAME_WE)
    set(page ${CMAKE_BINARY_DIR}/man/${name}.1)
    add_custom_command(OUTPUT ${page} ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${Python3_EXECUTABLE} ${W2C_DOC_TOOL} man ${W2C_LOWDOWN} ${md} ${page} ${PROJECT_VERSION}
      DEPENDS ${md} ${W2C_DOC_TOOL} VERBATIM)
    list(APPEND W2C_MAN_PAGES ${page})
    install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endforeach()
  add_custom_target(w2c_man ALL DEPENDS ${W2C_MAN_PAGES})
endif()

# --- bash completion, generated from the built binary's --help.
set(W2C_COMPLETION ${CMAKE_BINARY_DIR}/completion/win2cloud)
add_custom_command(OUTPUT ${W2C_COMPLETION}
  COMMAND ${Python3_EXECUTABLE} ${W2C_DOC_TOOL} completion $<TARGET_FILE:win2cloud_cli> ${W2C_COMPLETION}
  DEPENDS win2cloud_cli ${W2C_DOC_TOOL} ${PROJECT_SOURCE_DIR}/cmake/w2ccomp.py VERBATIM)
add_custom_target(w2c_completion ALL DEPENDS ${W2C_COMPLETION})
# Where bash-completion looks, relative to its own prefix so that
# cmake --install --prefix DIR stays inside DIR.
set(W2C_COMPLETIONS_DIR ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
pkg_get_variable(W2C_BC_DIR bash-completion completionsdir)
pkg_get_variable(W2C_BC_PREFIX bash-completion prefix)
if(W2C_BC_DIR AND W2C_BC_PREFIX AND W2C_BC_DIR MATCHES "^${W2C_BC_PREFIX}/(.+)$")
  set(W2C_COMPLETIONS_DIR ${CMAKE_MATCH_1})
endif()
install(FILES ${W2C_COMPLETION} DESTINATION ${W2C_COMPLETIONS_DIR})

# --- Debian package (cpack -G DEB; scripts/build-deb.sh).
set(CPACK_PACKAGE_NAME win2cloud)
set(CPACK_PACKAGE_VENDOR "win2cloud")
set(W2C_DEB_MAINTAINER "win2cloud maintainers <win2cloud@localhost>" CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT "${W2C_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "turn a Windows installation ISO into a cloud-ready image")
set(CPACK_PACKAGE_DESCRIPTION "win2cloud inspects and unpacks Windows installation media, injects\n\
VirtIO/VMTools drivers and an answer file, rebuilds a bootable ISO, checks the\n\
cloud's constraints, uploads to object storage and registers the image with\n\
IMS or Glance.  Includes libwin2cloud (shared and static), its headers and\n\
win2cloud.pc.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Our own library gets a shlibs file and the ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# Called at run time, not linked: QEMU and its firmware boot the result
# (verify --boot), libguestfs' appliance needs a kernel for check --deep.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qemu-system-x86, qemu-utils, seabios, ovmf, linux-image-amd64")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libguestfs-tools, bash-completion")
set(CPACK_STRIP_FILES ON)
include(CPack)
