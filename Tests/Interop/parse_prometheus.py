"""Parses Prometheus text exposition (stdin) with the official client's parser and prints the samples
as JSON: [{"name", "labels", "value"}]. Run by Tests/EndToEndTests/MetricsEndToEndTests.swift."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
json.dump(samples, sys.stdout)
