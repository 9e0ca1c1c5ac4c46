//! Benchmark peers for `bench/echo.sh`; see the binaries.
#![forbid(unsafe_code)]
