"""OSS Pulse development tools: benchmarks, synthetic raw data, schema diffs, the browser harness."""
