#!/usr/bin/env bash
# Runs the ESP benchmarks in Release and prints packets per second per core and the ESP-versus-bare-AEAD ratio.
# About 7 minutes on 2 cores (1 of them ForgedOpenBenchmarks). Arguments go to BenchmarkDotNet, e.g. bench/run.sh --filter '*EspBenchmarks*'.
# Results: BenchmarkDotNet.Artifacts/results/ (the summary the README quotes is esp-summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run -c Release --project bench/S2SEndpoint.Bench -- "$@"
