package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A mistake in the flags is exit status 2 with one line saying what, before any model is loaded.
func TestFlagMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rounds", "0"}, "--rounds must be at least 1"},
		{[]string{"--gpu-layers", "many"}, `--gpu-layers "many"`},
		{[]string{"--threads", "-1"}, "--threads -1"},
		{[]string{"--no-such-flag"}, "not defined"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, stdout.String(), stderr.String(), c.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-gpu-layers") {
		t.Errorf("--help: exit %d, stderr %q", code, stderr.String())
	}
}

// The JSON keys are what make bench and tools/gpu-check.sh record; a figure not measured is null, and
// the table has one row per figure.
func TestReportKeys(t *testing.T) {
	r := report{DecodeTPS: f64(12.5), Details: map[string]any{"simd": "AVX2"}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"decode_tps", "details", "eos_latency_ms", "go_native_ratio", "native_decode_tps", "peak_rss_mb",
		"prefill_tps", "rtf", "spec_draft_speedup", "spec_lookup_speedup", "spec_mtp_speedup"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if m["decode_tps"] != 12.5 || m["rtf"] != nil {
		t.Errorf("decode_tps %v, rtf %v; want 12.5 and null", m["decode_tps"], m["rtf"])
	}
	var table bytes.Buffer
	printReport(&table, r)
	out := table.String()
	if strings.Count(out, "\n") != 11 || !strings.Contains(out, "decode (Go loop)") || !strings.Contains(out, "12.50 tokens/s") ||
		!strings.Contains(out, "not measured") || !strings.Contains(out, "  simd: AVX2") {
		t.Errorf("table:\n%s", out)
	}
}

// The fixture clips the bench hears when espeak-ng is missing are found from the repository.
func TestFixtureSpeech(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no espeak-ng
	audio, text, err := benchSpeech(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(audio) < 16000 || !strings.Contains(text, " / ") {
		t.Errorf("%d samples of %q", len(audio), text)
	}
}

// One round end to end, CPU only: every figure is measured on this machine (the demo model is bundled)
// and the checks inside (native and Go loops choose the same tokens, drafting keeps the words) hold.
func TestBenchOneRound(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--json", "--rounds", "1"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	for k, v := range m {
		if v == nil {
			t.Errorf("%s not measured: %s", k, stdout.String())
		}
	}
	t.Logf("%s", stdout.String())
}
