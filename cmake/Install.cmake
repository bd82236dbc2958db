# cmake --install: the binary, its man page, shell completions, the systemd
# units and the examples, all under the prefix (GNUInstallDirs). The state
# directory /var/lib/mxdane is not made here: the package makes it 0700
# (debian/mxdane.postinst), and mxdane makes it 0700 on first use.
include(GNUInstallDirs)

# Relative to the prefix unless absolute, so that cmake --install --prefix
# moves them too (Debian: MXDANE_SYSTEMD_UNIT_DIR=/lib/systemd/system).
set(MXDANE_SYSTEMD_UNIT_DIR "lib/systemd/system"
    CACHE STRING "where the systemd service and timer are installed (relative: under the prefix)")
set(MXDANE_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "where the bash completion is installed (relative: under the prefix)")
set(MXDANE_ZSH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions"
    CACHE STRING "where the zsh completion is installed (relative: under the prefix)")

install(TARGETS mxdane RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The units and the cron line name the installed binary.
set(MXDANE_INSTALLED_BINARY "${CMAKE_INSTALL_FULL_BINDIR}/mxdane")
configure_file(contrib/mxdane-rollover@.service.in contrib/mxdane-rollover@.service @ONLY)
configure_file(contrib/mxdane-rollover.cron.in contrib/mxdane-rollover.cron @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/contrib/mxdane-rollover@.service contrib/mxdane-rollover@.timer
        DESTINATION ${MXDANE_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_BINARY_DIR}/contrib/mxdane-rollover.cron contrib/mx1.example.net.conf.example
              contrib/issue-certbot.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Completions come from the command table of the binary just built
# (src/cli/completion.cpp), so that they cannot drift from the options.
set(MXDANE_COMPLETIONS ${PROJECT_BINARY_DIR}/completions/mxdane ${PROJECT_BINARY_DIR}/completions/_mxdane)
add_custom_command(
  OUTPUT ${MXDANE_COMPLETIONS}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completions
  COMMAND sh -c "\"$0\" __completion bash > \"$1\" && \"$0\" __completion zsh > \"$2\"" $<TARGET_FILE:mxdane>
          ${MXDANE_COMPLETIONS}
  DEPENDS mxdane
  COMMENT "Generating bash and zsh completions from mxdane's command table"
  VERBATIM)
add_custom_target(completions ALL DEPENDS ${MXDANE_COMPLETIONS})
install(FILES ${PROJECT_BINARY_DIR}/completions/mxdane DESTINATION ${MXDANE_BASH_COMPLETION_DIR})
install(FILES ${PROJECT_BINARY_DIR}/completions/_mxdane DESTINATION ${MXDANE_ZSH_COMPLETION_DIR})

# Man pages: scdoc sources in docs/ (scdoc is a build dependency; without it
# the pages are neither built nor installed, and configure says so).
find_program(SCDOC scdoc)
file(GLOB MXDANE_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.scd)
if(SCDOC)
  set(MXDANE_MAN_PAGES)
  foreach(src ${MXDANE_MAN_SOURCES})
    get_filename_component(page ${src} NAME_WE) # mxdane.1.scd -> mxdane
    get_filename_component(full ${src} NAME)
    string(REGEX REPLACE "\\.scd$" "" page_file "${full}") # mxdane.1
    string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section "${page_file}")
    set(out ${PROJECT_BINARY_DIR}/man/${page_file})
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND sh -c "\"$0\" < \"$1\" > \"$2\"" ${SCDOC} ${src} ${out}
      DEPENDS ${src}
      COMMENT "Building man page ${page_file}"
      VERBATIM)
    list(APPEND MXDANE_MAN_PAGES ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${MXDANE_MAN_PAGES})
else()
  message(STATUS "scdoc not found: man pages are not built (apt-get install scdoc)")
endif()
