# etna_auth_static_libs(OUT): the system libraries a static link of
# libetna_auth needs, as a CMake link interface, for etna_auth::etna_auth_static
# (the installed package's etna_authConfig.cmake, where it is installed beside
# it, and the source tree's CMakeLists.txt). Not for Windows, whose list is
# rustc's (packaging/cmake.sh takes it from etna_auth.pc).
#
# The Rust standard library's note (rustc --print native-static-libs, the .pc's
# Libs.private) is "gcc_s util rt pthread m dl c" on glibc: libc, and
# libgcc_s or libgcc_eh for the unwinder, are linked by every C and C++
# compiler driver already (naming gcc_s breaks a -static link, which has no
# libgcc_s.a), and util and rt are empty since glibc 2.34 and unused by
# etna-auth before. What remains: threads, dlsym (std's weak symbols; empty
# since glibc 2.34 and on musl), libm.
# Needs C or C++ enabled (FindThreads).
function(etna_auth_static_libs out)
    if(NOT TARGET Threads::Threads)
        find_package(Threads REQUIRED)
    endif()
    set(libs Threads::Threads ${CMAKE_DL_LIBS} m)
    if(APPLE)
        # The system trust store and the Keychain (security-framework).
        list(APPEND libs "-framework Security" "-framework CoreFoundation")
    endif()
    set(${out} "${libs}" PARENT_SCOPE)
endfunction()
