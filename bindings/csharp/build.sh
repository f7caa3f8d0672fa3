# Sourced (bash): the one definition of the C# build with mcs (C# 7, every warning an
# error), used by bindings/csharp/run_tests.sh, packaging/build.sh and
# packaging/test_artifacts.sh. The library is every file of EtnaAuth/ (as EtnaAuth.csproj
# takes them, by the SDK's default glob), the tests every file of tests/ plus the class
# generated from the scenario list.
#
#   etna_cs_check_generated          fails when EtnaAuth/{EtnaStatus,Exceptions,StatusTable}.cs
#                                    are stale against bindings/status_codes.json (generate.py)
#   etna_cs_library OUT.dll [MCS ARGS/FILES...]
#                                    EtnaAuth.dll and its XML documentation (OUT.xml)
#   etna_cs_tests OUT.exe [DLL]      the test program: with the sources (internals visible),
#                                    or against a built EtnaAuth.dll (which grants the tests
#                                    its internals); writes OUT's folder/ScenarioCases.cs
#   etna_cs_program OUT.exe DLL SOURCE.cs
#                                    a program against a built EtnaAuth.dll
#   etna_cs_loadcheck OUT.exe DLL    the program that checks loading from the app's folder
#
# Reads ETNA_SCENARIOS (default tests/scenarios/scenarios.json) and python (default python3).
# Compiled against Mono's 4.5 profile (mscorlib, System, System.Core 4.0.0.0), which .NET
# Framework 4.x, Mono and .NET Core 2.0+ / .NET 5+ all resolve.

etna_cs_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
etna_cs_mcs=(mcs -langversion:7 -warnaserror+)

etna_cs_check_generated() {
    "${python:-python3}" "$etna_cs_dir/generate.py" --check
}

etna_cs_library() { # OUT.dll [MCS ARGS/FILES...]
    local out=$1
    shift
    "${etna_cs_mcs[@]}" -target:library -doc:"${out%.dll}.xml" -out:"$out" "$@" "$etna_cs_dir"/EtnaAuth/*.cs
}

etna_cs_tests() { # OUT.exe [DLL]
    local out=$1 dll=${2:-} cases
    cases=$(dirname "$out")/ScenarioCases.cs
    ETNA_SCENARIOS=${ETNA_SCENARIOS:-$etna_cs_dir/../../tests/scenarios/scenarios.json} \
        "${python:-python3}" "$etna_cs_dir/tests/scenario_tests.py" "$cases" || return
    if [ -n "$dll" ]; then
        "${etna_cs_mcs[@]}" -debug -r:"$dll" -out:"$out" "$etna_cs_dir"/tests/*.cs "$cases"
    else
        "${etna_cs_mcs[@]}" -debug -out:"$out" "$etna_cs_dir"/EtnaAuth/*.cs "$etna_cs_dir"/tests/*.cs "$cases"
    fi
}

etna_cs_program() { # OUT.exe DLL SOURCE.cs
    "${etna_cs_mcs[@]}" -r:"$2" -out:"$1" "$3"
}

etna_cs_loadcheck() { # OUT.exe DLL
    etna_cs_program "$1" "$2" "$etna_cs_dir/tests/loadcheck/LoadCheck.cs"
}
